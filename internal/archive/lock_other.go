//go:build !unix

package archive

import "os"

// lockFile does nothing without flock: one process appends to an archive
// directory at a time.
func lockFile(*os.File) error { return nil }

// unlockFile releases lockFile's lock.
func unlockFile(*os.File) error { return nil }
