package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `# a comment
[p/one] security issue16
file internal/p/a.go
pkg  ./internal/p ./internal/q
why  x must be checked
- if x > 0 {
+ if false {

[p/two]
file internal/p/a.go
pkg  ./internal/p
equiv the branch is unreachable
- a := 1
- b := 2
+ a, b := 1, 2
`

const src = `package p

func f(x int) int {
	if x > 0 {
		a := 1
		b := 2
		return a + b
	}
	return 0
}
`

func TestParseAndApply(t *testing.T) {
	ms, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Fatalf("%d mutants, want 2", len(ms))
	}
	one, two := ms[0], ms[1]
	if one.Name != "p/one" || !one.hasTag("security") || !one.hasTag("issue16") || one.File != "internal/p/a.go" ||
		strings.Join(one.Pkgs, ",") != "./internal/p,./internal/q" || one.Why != "x must be checked" || one.Package() != "internal/p" {
		t.Errorf("first mutant: %+v", one)
	}
	if two.Equiv != "the branch is unreachable" || len(two.Orig) != 2 || len(two.Repl) != 1 {
		t.Errorf("second mutant: %+v", two)
	}
	got, err := one.Apply([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(src, "if x > 0 {", "if false {", 1); string(got) != want {
		t.Errorf("one applied:\n%s\nwant\n%s", got, want)
	}
	got, err = two.Apply([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(src, "\t\ta := 1\n\t\tb := 2\n", "\t\ta, b := 1, 2\n", 1); string(got) != want {
		t.Errorf("two applied:\n%s\nwant\n%s", got, want)
	}
}

func TestApplyRefusesAmbiguousOrMissing(t *testing.T) {
	for _, rec := range []string{
		"[m]\nfile f.go\npkg ./p\n- return\n+ return 1\n",               // twice in src
		"[m]\nfile f.go\npkg ./p\n- if y > 0 {\n+ if false {\n",         // absent
		"[m]\nfile f.go\npkg ./p\n- a := 1\n- c := 3\n+ a, c := 1, 3\n", // lines not consecutive
	} {
		ms, err := Parse(strings.NewReader(rec))
		if err != nil {
			t.Fatal(err)
		}
		if out, err := ms[0].Apply([]byte(src)); err == nil {
			t.Errorf("%q applied to\n%s", rec, out)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, rec := range []string{
		"file f.go\n",                           // outside a record
		"[m]\npkg ./p\n- x\n",                   // no file
		"[m]\nfile f.go\n- x\n",                 // no pkg
		"[m]\nfile f.go\npkg ./p\n",             // no original
		"[m]\nfile f.go\npkg ./p\nbad 1\n- x\n", // unknown key
		"[m]\nfile f.go\npkg ./p\n- x\n[m]\nfile f.go\npkg ./p\n- y\n", // duplicate name
		"[m]\nfile f.go\npkg ./p\n+ y\n- x\n",                          // - after +
	} {
		if _, err := Parse(strings.NewReader(rec)); err == nil {
			t.Errorf("%q parsed", rec)
		}
	}
}

// TestMutantsApply checks that every mutant of the list applies to the
// code as it is: a snippet that no longer occurs once (the code moved on)
// fails here, in the ordinary test run, not only in a mutation run.
func TestMutantsApply(t *testing.T) {
	root := filepath.Join("..", "..")
	f, err := os.Open("mutants.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ms, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 100 {
		t.Errorf("%d mutants: the list was cut", len(ms))
	}
	for _, m := range ms {
		b, err := os.ReadFile(filepath.Join(root, m.File))
		if err != nil {
			t.Errorf("%s: %v", m.Name, err)
			continue
		}
		if _, err := m.Apply(b); err != nil {
			t.Error(err)
		}
	}
}
