package reference

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestCopiesMatchShared compares every reference file with the team's shared
// copy (../shared/reference beside the clone) when that folder is present:
// the repository's copies must not drift from the files the project is built
// to. Without the shared folder there is nothing to compare, and the copies
// here are the reference.
func TestCopiesMatchShared(t *testing.T) {
	shared := filepath.Join(Dir(), "..", "..", "shared", "reference")
	if _, err := os.Stat(shared); errors.Is(err, fs.ErrNotExist) {
		t.Logf("no shared folder at %s: the repository's copies stand alone", shared)
		return
	}
	n := 0
	err := fs.WalkDir(Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		ours, err := fs.ReadFile(Files, path)
		if err != nil {
			return err
		}
		theirs, err := os.ReadFile(filepath.Join(shared, path))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		if !bytes.Equal(ours, theirs) {
			t.Errorf("%s differs from the shared copy: copy %s over it and regenerate", path, filepath.Join(shared, path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 12 {
		t.Errorf("compared %d files; want the contract, the codes and the examples", n)
	}
}

func TestFilesPresent(t *testing.T) {
	for _, name := range []string{"dip-contract.json", "rejection-codes.json", "dip-examples/NOTES.md", "dip-examples/IF-021.json"} {
		b, err := fs.ReadFile(Files, name)
		if err != nil || len(b) == 0 {
			t.Errorf("%s: %v (%d bytes)", name, err, len(b))
		}
	}
}
