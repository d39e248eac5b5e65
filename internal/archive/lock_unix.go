//go:build unix

package archive

import (
	"os"
	"syscall"
)

// lockFile takes f's exclusive lock, waiting for it: two processes
// appending to one day file (PostgreSQL hubs sharing an archive
// directory) append one part at a time.
func lockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }

// unlockFile releases lockFile's lock.
func unlockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
