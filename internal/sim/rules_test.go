package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps sim a domain package that cannot depend on anything
// but its inputs: it imports the standard library (no I/O, no global or
// cryptographic randomness), market, isd and signature; it starts no
// goroutine, has no init function and never reads the clock.
func TestImports(t *testing.T) {
	allowed := map[string]bool{
		"github.com/mhhs/mhhs/internal/market":    true,
		"github.com/mhhs/mhhs/internal/isd":       true,
		"github.com/mhhs/mhhs/internal/signature": true,
	}
	forbidden := map[string]string{
		"os": "I/O", "io": "I/O", "io/fs": "I/O", "net": "I/O", "net/http": "I/O", "database/sql": "I/O",
		"math/rand": "the global generator", "crypto/rand": "non-deterministic draws", "unsafe": "portability",
		"sync": "shared state", "log": "I/O", "log/slog": "I/O",
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if why, ok := forbidden[path]; ok {
				t.Errorf("%s imports %s (%s)", name, path, why)
			}
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") && !allowed[path] {
				t.Errorf("%s imports %s: sim may import only the standard library, market, isd and signature", name, path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				t.Errorf("%s: a go statement at %s: callers own the goroutines", name, fset.Position(n.Pos()))
			case *ast.FuncDecl:
				if n.Recv == nil && n.Name.Name == "init" {
					t.Errorf("%s: an init function", name)
				}
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok && x.Name == "time" && (n.Sel.Name == "Now" || n.Sel.Name == "Since") {
					t.Errorf("%s: time.%s at %s: output must not depend on the clock", name, n.Sel.Name, fset.Position(n.Pos()))
				}
			}
			return true
		})
	}
}

// golden is the SHA-256 of TestGolden's output. It pins the generator
// across machines and Go versions: when it fails after a deliberate
// change to generation, replace it with the value the test prints and say
// so in the commit; otherwise something made the output differ.
const golden = "67566a20b068ab6356d4c00a9cd2f35c9a21410977ea7f30c61c775a4f4105e8"

// TestGolden hashes the sites, three days of values, the takes and the
// events of a small market.
func TestGolden(t *testing.T) {
	m := busy(t, 1000)
	h := sha256.New()
	for _, s := range sites(t, m, 0, 1000) {
		fmt.Fprintf(h, "%+v\n", s)
	}
	for _, d := range []string{"2025-01-15", "2025-03-30", "2026-07-04"} {
		day := mustDate(t, d)
		for _, dd := range fill(t, m, day, 0, 1000) {
			for p := range dd.Values {
				h.Write(binary.LittleEndian.AppendUint64(nil, uint64(dd.Values[p])))
			}
			h.Write(qualityBytes(&dd))
		}
		takes, err := m.Takes(day, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%+v\n", takes)
	}
	tl := m.Timeline()
	events, err := m.Events(tl.From, tl.To, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(h, "%+v\n", events)
	for _, p := range m.Participants() {
		fmt.Fprintf(h, "%+v\n", p)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != golden {
		t.Errorf("output hash %s, want %s", got, golden)
	}
}

func qualityBytes(d *Day) []byte {
	b := make([]byte, len(d.Quality))
	for i, q := range d.Quality {
		b[i] = byte(q)
	}
	return b
}
