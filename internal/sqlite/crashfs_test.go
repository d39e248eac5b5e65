package sqlite

import (
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// crashFS is a LogFS in memory that knows what a power cut would leave, in
// the spirit of pebble's vfs.MemFS in strict mode and vfs/errorfs: each
// file has the bytes the process sees and the bytes as of its last
// Datasync; each directory has the entries the process sees and those as
// of its last SyncDir. Power is cut at a chosen operation (or by cut):
// from then on every operation fails, as on a machine that has stopped, and
// crash gives a new crashFS holding what survived: each durable file's
// synced bytes, and maybe part of what was written after them (a write that
// reached the disk in part, possibly with a damaged sector).
type crashFS struct {
	mu      sync.Mutex
	rng     *rand.Rand
	files   map[string]*memFile // the namespace the process sees
	durable map[string]*memFile // the namespace as of each directory's last SyncDir
	dirs    map[string]bool
	ops     int  // operations that change something, so far
	cutAt   int  // power goes at this operation; 0: not armed
	dead    bool // power is off
}

// memFile is one file's bytes as seen and as synced.
type memFile struct {
	data, synced []byte
}

// errPowerCut is what every operation returns once power is off.
var errPowerCut = errors.New("crashfs: power cut")

func newCrashFS(rng *rand.Rand) *crashFS {
	return &crashFS{rng: rng, files: map[string]*memFile{}, durable: map[string]*memFile{}, dirs: map[string]bool{}}
}

// step counts an operation that changes state and reports whether power
// is still on after it starts; fs.mu is held. When power goes at this
// operation, tear is called first, to let part of a write through.
func (c *crashFS) step(tear func()) bool {
	if c.dead {
		return false
	}
	c.ops++
	if c.ops == c.cutAt {
		if tear != nil {
			tear()
		}
		c.dead = true
		return false
	}
	return true
}

// armCut makes power go at the n-th operation from now.
func (c *crashFS) armCut(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cutAt = c.ops + n
}

// cut turns power off now.
func (c *crashFS) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dead = true
}

// cutHappened reports whether power is off.
func (c *crashFS) cutHappened() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dead
}

// crash returns the file system as power comes back: the durable
// directory entries, each file with its synced bytes and, as the random
// source decides, none, part or all of the bytes written after them (and
// in some cases one damaged byte among those). Power must be off.
func (c *crashFS) crash() *crashFS {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dead {
		panic("crashFS.crash with power on")
	}
	after := newCrashFS(rand.New(rand.NewPCG(c.rng.Uint64(), c.rng.Uint64())))
	for d := range c.dirs {
		after.dirs[d] = true
	}
	for name, f := range c.durable {
		b := slices.Clone(f.synced)
		if extra, ok := bytesAfter(f.synced, f.data); ok && len(extra) > 0 {
			switch c.rng.IntN(4) {
			case 0: // nothing written after the last sync survives
			case 1: // all of it does
				b = append(b, extra...)
			case 2: // part of it does
				b = append(b, extra[:c.rng.IntN(len(extra)+1)]...)
			case 3: // part, with a damaged byte
				kept := extra[:c.rng.IntN(len(extra)+1)]
				at := len(b)
				b = append(b, kept...)
				if len(kept) > 0 {
					b[at+c.rng.IntN(len(kept))] ^= byte(1 + c.rng.IntN(255))
				}
			}
		}
		m := &memFile{data: b, synced: slices.Clone(b)}
		after.files[name], after.durable[name] = m, m
	}
	return after
}

// bytesAfter returns what data has beyond synced when data extends synced
// (an append since the last sync).
func bytesAfter(synced, data []byte) ([]byte, bool) {
	if len(data) < len(synced) || !slices.Equal(data[:len(synced)], synced) {
		return nil, false
	}
	return data[len(synced):], true
}

func (c *crashFS) OpenFile(name string, flag int, perm os.FileMode) (LogFile, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return nil, errPowerCut
	}
	f, ok := c.files[name]
	switch {
	case ok && flag&os.O_EXCL != 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrExist}
	case !ok && flag&os.O_CREATE == 0:
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	case !ok:
		if !c.dirs[filepath.Dir(name)] {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		if !c.step(nil) {
			return nil, errPowerCut
		}
		f = &memFile{}
		c.files[name] = f
	}
	return &memHandle{fs: c, f: f, readOnly: flag&(os.O_RDWR|os.O_WRONLY) == 0}, nil
}

func (c *crashFS) Remove(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.step(nil) {
		return errPowerCut
	}
	if _, ok := c.files[name]; !ok {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrNotExist}
	}
	delete(c.files, name)
	return nil
}

func (c *crashFS) ReadDir(dir string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return nil, errPowerCut
	}
	var names []string
	for name := range c.files {
		if filepath.Dir(name) == dir {
			names = append(names, filepath.Base(name))
		}
	}
	slices.Sort(names)
	return names, nil
}

// MkdirAll creates dir; directories themselves are taken to be durable
// (the log's directory is made once, before anything is in it).
func (c *crashFS) MkdirAll(dir string, perm os.FileMode) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return errPowerCut
	}
	c.dirs[dir] = true
	return nil
}

func (c *crashFS) SyncDir(dir string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.step(nil) {
		return errPowerCut
	}
	for name := range c.durable {
		if filepath.Dir(name) == dir {
			delete(c.durable, name)
		}
	}
	for name, f := range c.files {
		if filepath.Dir(name) == dir {
			c.durable[name] = f
		}
	}
	return nil
}

// memHandle is an open file of a crashFS.
type memHandle struct {
	fs       *crashFS
	f        *memFile
	readOnly bool
	closed   bool
}

func (h *memHandle) ReadAt(p []byte, off int64) (int, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.fs.dead {
		return 0, errPowerCut
	}
	if h.closed {
		return 0, os.ErrClosed
	}
	if off >= int64(len(h.f.data)) {
		return 0, io.EOF
	}
	n := copy(p, h.f.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (h *memHandle) WriteAt(p []byte, off int64) (int, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.closed || h.readOnly {
		return 0, os.ErrClosed
	}
	write := func(p []byte) {
		if end := off + int64(len(p)); end > int64(len(h.f.data)) {
			h.f.data = append(h.f.data, make([]byte, end-int64(len(h.f.data)))...)
		}
		copy(h.f.data[off:], p)
	}
	// Power going during a write lets a part of it through.
	if !h.fs.step(func() { write(p[:h.fs.rng.IntN(len(p)+1)]) }) {
		return 0, errPowerCut
	}
	write(p)
	return len(p), nil
}

func (h *memHandle) Truncate(size int64) error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.closed || h.readOnly {
		return os.ErrClosed
	}
	if !h.fs.step(nil) {
		return errPowerCut
	}
	if size <= int64(len(h.f.data)) {
		h.f.data = h.f.data[:size:size]
	} else {
		h.f.data = append(h.f.data, make([]byte, size-int64(len(h.f.data)))...)
	}
	return nil
}

func (h *memHandle) Size() (int64, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.fs.dead {
		return 0, errPowerCut
	}
	return int64(len(h.f.data)), nil
}

func (h *memHandle) Datasync() error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.closed {
		return os.ErrClosed
	}
	if !h.fs.step(nil) {
		return errPowerCut
	}
	h.f.synced = slices.Clone(h.f.data)
	return nil
}

func (h *memHandle) Close() error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.closed {
		return os.ErrClosed
	}
	h.closed = true
	return nil
}

// TestCrashFS checks the model the crash tests rely on: synced bytes and
// synced directory entries survive a cut, nothing else is promised, and a
// dead file system refuses everything.
func TestCrashFS(t *testing.T) {
	c := newCrashFS(rand.New(rand.NewPCG(1, 2)))
	mustDo(t, c.MkdirAll("/d", 0o700))
	a, err := c.OpenFile("/d/a", os.O_CREATE|os.O_RDWR, 0o600)
	mustDo(t, err)
	_, err = a.WriteAt([]byte("synced"), 0)
	mustDo(t, err)
	mustDo(t, a.Datasync())
	mustDo(t, c.SyncDir("/d"))
	_, err = a.WriteAt([]byte("+later"), 6)
	mustDo(t, err)
	b, err := c.OpenFile("/d/b", os.O_CREATE|os.O_RDWR, 0o600)
	mustDo(t, err)
	_, err = b.WriteAt([]byte("never in the directory"), 0)
	mustDo(t, err)
	mustDo(t, b.Datasync()) // synced data, but the entry is not
	if _, err := c.OpenFile("/d/a", os.O_CREATE|os.O_RDWR|os.O_EXCL, 0o600); !errors.Is(err, fs.ErrExist) {
		t.Errorf("O_EXCL on an existing file: %v", err)
	}
	c.armCut(1)
	if _, err := a.WriteAt([]byte("x"), 12); !errors.Is(err, errPowerCut) {
		t.Fatalf("write at the cut: %v", err)
	}
	if err := a.Datasync(); !errors.Is(err, errPowerCut) {
		t.Fatalf("sync after the cut: %v", err)
	}
	if _, err := c.ReadDir("/d"); !errors.Is(err, errPowerCut) {
		t.Fatalf("ReadDir after the cut: %v", err)
	}
	for range 20 {
		after := c.crash()
		names, err := after.ReadDir("/d")
		mustDo(t, err)
		if !slices.Equal(names, []string{"a"}) {
			t.Fatalf("entries after the cut %q, want [a]", names)
		}
		got, err := readFile(after, "/d/a")
		mustDo(t, err)
		if len(got) < 6 || string(got[:6]) != "synced" || len(got) > 13 {
			t.Fatalf("a after the cut: %q, want \"synced\" and at most 7 bytes more", got)
		}
	}
}
