// Package reference holds the repository's copies of the public reference
// files the project is built to: the DIP message contract (dip-contract.json,
// facts from Elexon's DIP API v2.2.1), the REG/DSC business rejection codes
// of the Interface Catalogue (rejection-codes.json) and the published DIP
// examples with their notes (dip-examples/). The generators read them; the
// conformance tests compare the generated code with them, so a fresh clone
// needs nothing outside the repository. TestCopiesMatchShared checks them
// against the team's shared folder when that is present beside the clone.
package reference

import (
	"embed"
	"path/filepath"
	"runtime"
)

// Files are the reference files, by their names in this directory.
//
//go:embed dip-contract.json rejection-codes.json dip-examples
var Files embed.FS

// Dir returns the directory of the reference files in the source tree, for
// tests and generators that pass a path to another program.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}
