//go:build !unix

package sqlite

import (
	"os"
	"path/filepath"
)

// lockIntake opens the intake log's lock file in dir. Without flock, every
// opener takes intake: run one process on a data directory at a time.
func lockIntake(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
}
