package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/mhhs/mhhs/"

// domain lists each domain package and the internal packages it may import.
// Domain packages do no I/O and know no adapter (STYLE.md); a new dependency
// between them is a design decision: record it here.
var domain = map[string][]string{
	"internal/market":      {},
	"internal/catalogue":   {"internal/market"},
	"internal/isd":         {"internal/market", "internal/catalogue", "internal/participant"},
	"internal/participant": {"internal/market", "internal/catalogue"},
	"internal/simparty":    {"internal/market", "internal/catalogue", "internal/participant", "internal/sim", "internal/regs"},
	"internal/sim":         {"internal/market", "internal/isd", "internal/signature"},
	"internal/dip":         {"internal/market", "internal/catalogue", "internal/participant"},
	"internal/regs":        {"internal/market", "internal/catalogue", "internal/participant"},
	"internal/signature":   {},
}

// packages returns the directories under internal/ and cmd/ holding Go
// code, each with its parsed non-test files.
func packages(t *testing.T) map[string][]*ast.File {
	t.Helper()
	root := filepath.Join("..", "..")
	out := map[string][]*ast.File{}
	fset := token.NewFileSet()
	for _, top := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || d.Name() == "data" || d.Name() == "migrations") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			out[filepath.ToSlash(rel)] = append(out[filepath.ToSlash(rel)], f)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestPackageDocComments(t *testing.T) {
	for dir, files := range packages(t) {
		if !slices.ContainsFunc(files, func(f *ast.File) bool { return f.Doc != nil }) {
			t.Errorf("%s has no package doc comment (add a doc.go saying what it owns and may import)", dir)
		}
	}
}

// TestExportedDocComments fails when an exported identifier of an internal
// package has no doc comment. Generated files document their types; their
// fields are named by the contract.
func TestExportedDocComments(t *testing.T) {
	for dir, files := range packages(t) {
		if !strings.HasPrefix(dir, "internal/") {
			continue
		}
		for _, f := range files {
			for _, decl := range f.Decls {
				switch d := decl.(type) {
				case *ast.FuncDecl:
					if d.Name.IsExported() && d.Doc == nil && (d.Recv == nil || receiverExported(d.Recv)) && !interfaceMethods[d.Name.Name] {
						t.Errorf("%s: %s has no doc comment", dir, d.Name)
					}
				case *ast.GenDecl:
					for _, spec := range d.Specs {
						switch s := spec.(type) {
						case *ast.TypeSpec:
							if s.Name.IsExported() && d.Doc == nil && s.Doc == nil {
								t.Errorf("%s: type %s has no doc comment", dir, s.Name)
							}
						case *ast.ValueSpec:
							for _, n := range s.Names {
								if n.IsExported() && d.Doc == nil && s.Doc == nil && s.Comment == nil {
									t.Errorf("%s: %s has no doc comment", dir, n)
								}
							}
						}
					}
				}
			}
		}
	}
}

// interfaceMethods implement standard interfaces and explain themselves.
var interfaceMethods = map[string]bool{"Error": true, "String": true, "Unwrap": true, "Is": true, "ServeHTTP": true}

func receiverExported(recv *ast.FieldList) bool {
	typ := recv.List[0].Type
	for {
		switch x := typ.(type) {
		case *ast.StarExpr:
			typ = x.X
		case *ast.IndexExpr:
			typ = x.X
		case *ast.IndexListExpr:
			typ = x.X
		case *ast.Ident:
			return x.IsExported()
		default:
			return true
		}
	}
}

// TestImportGraph enforces the layering: a domain package imports the
// standard library and the domain packages listed for it, nothing else; no
// internal package imports cmd.
func TestImportGraph(t *testing.T) {
	for dir, files := range packages(t) {
		allowed, isDomain := domain[dir]
		for _, f := range files {
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if strings.HasPrefix(path, module+"cmd") {
					t.Errorf("%s imports %s: nothing imports cmd", dir, path)
				}
				if !isDomain {
					continue
				}
				if own, ok := strings.CutPrefix(path, module); ok {
					if !slices.Contains(allowed, own) {
						t.Errorf("%s imports %s: domain package %s may import only %v", dir, path, dir, allowed)
					}
					continue
				}
				if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
					t.Errorf("%s imports %s: domain packages import only the standard library", dir, path)
				}
			}
		}
	}
}
