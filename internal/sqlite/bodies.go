package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// bodyLog keeps message bodies out of SQLite's B-tree: an append-only log of
// segment files beside the database. A group commit writes all its bodies
// with one write and one fdatasync, then commits the rows that reference
// them (segment, offset, length); so a committed row always points at durable
// bytes, and bytes written by a transaction that did not commit are never
// referenced. On open the tail of the newest segment past the last committed
// reference is cut off. Putting 5 KB bodies in the B-tree cost a page write
// per 4 KB of body in the WAL and dominated commit time (BENCHMARKS.md).
type bodyLog struct {
	dir     string
	maxSize int64

	mu   sync.Mutex // guards cur, id, size and the writes
	cur  *os.File
	id   int64
	size int64

	rmu     sync.RWMutex
	readers map[int64]*os.File
}

const segmentSize = 256 << 20

func segmentName(dir string, id int64) string {
	return filepath.Join(dir, fmt.Sprintf("seg-%08d.log", id))
}

// openBodyLog opens the log in dir; committedEnd reports, for a segment,
// the end of its last committed body.
func openBodyLog(dir string, committedEnd func(seg int64) (int64, error)) (*bodyLog, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	l := &bodyLog{dir: dir, maxSize: segmentSize, readers: map[int64]*os.File{}, id: 1}
	ids, err := l.segments()
	if err != nil {
		return nil, err
	}
	if len(ids) > 0 {
		l.id = ids[len(ids)-1]
	}
	f, err := os.OpenFile(segmentName(dir, l.id), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 { // a new segment: make its directory entry durable
		if err := syncDir(dir); err != nil {
			f.Close()
			return nil, err
		}
	}
	end, err := committedEnd(l.id)
	if err != nil {
		f.Close()
		return nil, err
	}
	// Bytes past the last committed body belong to a commit that did not
	// happen: cut them off.
	if err := f.Truncate(end); err != nil {
		f.Close()
		return nil, err
	}
	l.cur, l.size = f, end
	return l, nil
}

func (l *bodyLog) segments() ([]int64, error) {
	names, err := filepath.Glob(filepath.Join(l.dir, "seg-*.log"))
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, n := range names {
		id, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(n), "seg-"), ".log"), 10, 64)
		if err == nil {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

// bodyRef locates a body.
type bodyRef struct {
	seg, off, n int64
}

// append writes bodies at the end of the current segment and returns where
// each will be at once, with a wait function that reports when they are
// durable: the caller writes the rows referencing them meanwhile and waits
// before it commits. wait must be called exactly once.
func (l *bodyLog) append(bodies [][]byte) ([]bodyRef, func() error) {
	l.mu.Lock() // held until the write is durable: appends are serial
	total := int64(0)
	for _, b := range bodies {
		total += int64(len(b))
	}
	if l.size > 0 && l.size+total > l.maxSize {
		if err := l.rotate(); err != nil {
			l.mu.Unlock()
			return nil, func() error { return err }
		}
	}
	buf := make([]byte, 0, total)
	refs := make([]bodyRef, len(bodies))
	start, off := l.size, l.size
	for i, b := range bodies {
		refs[i] = bodyRef{seg: l.id, off: off, n: int64(len(b))}
		buf = append(buf, b...)
		off += int64(len(b))
	}
	done := make(chan error, 1)
	go func() {
		defer l.mu.Unlock()
		_, err := l.cur.WriteAt(buf, start)
		if err == nil {
			err = fdatasync(l.cur)
		}
		if err == nil {
			l.size = off
		}
		done <- err
	}()
	return refs, func() error { return <-done }
}

func (l *bodyLog) rotate() error {
	f, err := os.OpenFile(segmentName(l.dir, l.id+1), os.O_CREATE|os.O_RDWR|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := syncDir(l.dir); err != nil {
		f.Close()
		return err
	}
	l.cur.Close()
	l.cur, l.id, l.size = f, l.id+1, 0
	return nil
}

// read returns a body.
func (l *bodyLog) read(r bodyRef) ([]byte, error) {
	f, err := l.reader(r.seg)
	if err != nil {
		return nil, err
	}
	b := make([]byte, r.n)
	if _, err := f.ReadAt(b, r.off); err != nil {
		return nil, fmt.Errorf("sqlite: body at segment %d offset %d: %w", r.seg, r.off, err)
	}
	return b, nil
}

func (l *bodyLog) reader(seg int64) (*os.File, error) {
	l.rmu.RLock()
	f, ok := l.readers[seg]
	l.rmu.RUnlock()
	if ok {
		return f, nil
	}
	l.rmu.Lock()
	defer l.rmu.Unlock()
	if f, ok := l.readers[seg]; ok {
		return f, nil
	}
	f, err := os.Open(segmentName(l.dir, seg))
	if err != nil {
		return nil, err
	}
	l.readers[seg] = f
	return f, nil
}

// removeBelow deletes the segments older than oldest and than the current
// one (after a purge: oldest is the segment of the oldest message left).
func (l *bodyLog) removeBelow(oldest int64) error {
	ids, err := l.segments()
	if err != nil {
		return err
	}
	l.mu.Lock()
	cur := l.id
	l.mu.Unlock()
	for _, id := range ids {
		if id >= cur || id >= oldest {
			continue
		}
		l.rmu.Lock()
		if f, ok := l.readers[id]; ok {
			f.Close()
			delete(l.readers, id)
		}
		l.rmu.Unlock()
		if err := os.Remove(segmentName(l.dir, id)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

func (l *bodyLog) close() error {
	l.rmu.Lock()
	for _, f := range l.readers {
		f.Close()
	}
	l.rmu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
