package sqlite

import (
	"os"
	"syscall"
)

// fdatasync flushes a file's data (not its metadata times) to stable storage.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
