package sqlite

import (
	"io"
	"os"
)

// LogFS is the file system the intake log's segments live on (bodies.go).
// The store uses the operating system's unless [Options] name another. It
// is the log's whole contact with storage, so that a file system that keeps
// only what was made durable, as a power cut does, can stand in for the
// disk (the crash tests do). The lock file beside the segments and the
// SQLite database are not on it.
type LogFS interface {
	// OpenFile opens the named file as os.OpenFile does, with the flags
	// os.O_RDONLY, or os.O_RDWR with os.O_CREATE and maybe os.O_EXCL.
	OpenFile(name string, flag int, perm os.FileMode) (LogFile, error)
	// Remove removes the named file.
	Remove(name string) error
	// ReadDir returns the names of the entries of dir.
	ReadDir(dir string) ([]string, error)
	// MkdirAll creates dir and its parents as os.MkdirAll does.
	MkdirAll(dir string, perm os.FileMode) error
	// SyncDir makes dir's entries (the files created in it) durable.
	SyncDir(dir string) error
}

// LogFile is an open segment of the intake log.
type LogFile interface {
	io.ReaderAt
	io.WriterAt
	io.Closer
	// Truncate changes the file's size.
	Truncate(size int64) error
	// Size returns the file's size.
	Size() (int64, error)
	// Datasync makes what was written to the file durable (fdatasync).
	Datasync() error
}

// osFS is the operating system's file system.
type osFS struct{}

func (osFS) OpenFile(name string, flag int, perm os.FileMode) (LogFile, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) Remove(name string) error { return os.Remove(name) }

func (osFS) ReadDir(dir string) ([]string, error) {
	es, err := os.ReadDir(dir)
	names := make([]string, len(es))
	for i, e := range es {
		names[i] = e.Name()
	}
	return names, err
}

func (osFS) MkdirAll(dir string, perm os.FileMode) error { return os.MkdirAll(dir, perm) }

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// osFile is a file of the operating system.
type osFile struct{ *os.File }

func (f osFile) Size() (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func (f osFile) Datasync() error { return fdatasync(f.File) }

// readFile reads the whole named file from fsys.
func readFile(fsys LogFS, name string) ([]byte, error) {
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n, err := f.Size()
	if err != nil {
		return nil, err
	}
	b := make([]byte, n)
	if m, err := f.ReadAt(b, 0); err != nil && (err != io.EOF || m < len(b)) {
		return nil, err
	}
	return b, nil
}
