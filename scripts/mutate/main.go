// Command mutate plants named bugs (mutants) in the code, one at a time,
// and runs the tests of the package that owns each rule: a mutant the tests
// do not notice is a rule no test checks.
//
// The mutants are listed in scripts/mutate/mutants.txt (see the header of
// that file for its form). Each is applied without touching the working
// tree: the mutated file is written to a temporary directory and handed to
// the go command with -overlay. For every mutant the tool builds the test
// binary of each package named (a build failure is an invalid mutant, a
// fault of the list, not a kill) and runs it in the package directory; the
// mutant is killed when a test fails (or the run times out), and survives
// when every package's tests pass.
//
// Usage (from anywhere in the module):
//
//	go run ./scripts/mutate                 # every mutant
//	go run ./scripts/mutate -pkg dip        # mutants of internal/dip
//	go run ./scripts/mutate -tag security   # mutants tagged security
//	go run ./scripts/mutate -only 'dip/(ldso|primary)'  # names matching
//	go run ./scripts/mutate -list           # list, run nothing
//
// It exits 1 when a mutant not marked equivalent survives or a mutant is
// invalid (its snippet is not found exactly once, or it does not compile),
// and prints a table per package: mutants, killed, survived, equivalent,
// invalid and the efficacy, killed / (mutants − equivalent − invalid).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Mutant is one planted bug.
type Mutant struct {
	Name  string   // unique, "package/what"
	Tags  []string // e.g. security, issue16
	File  string   // relative to the module root
	Pkgs  []string // packages whose tests must kill it, "./internal/dip"
	Run   string   // optional -test.run pattern
	Needs []string // environment variables that must be set (else the tool refuses)
	Equiv string   // non-empty: known equivalent, and why
	Why   string   // the rule the mutant breaks
	Orig  []string // lines (or, for one line, a substring) to replace
	Repl  []string // their replacement
	Line  int      // line in the data file, for messages
}

// Package is the directory of the mutated file, e.g. "internal/dip".
func (m *Mutant) Package() string { return filepath.ToSlash(filepath.Dir(m.File)) }

func (m *Mutant) hasTag(t string) bool { return slices.Contains(m.Tags, t) }

// Parse reads the mutants file. A record starts with "[name] tag tag…"
// and holds "key value" lines (file, pkg, run, needs, why, equiv), then
// "- " lines, the original, and "+ " lines, the replacement ("+" alone
// is an empty line; no "+" line deletes the original). Lines starting
// with "#" and blank lines outside the - and + lines are ignored.
func Parse(r io.Reader) ([]*Mutant, error) {
	var out []*Mutant
	var cur *Mutant
	sc := bufio.NewScanner(r)
	n := 0
	seen := map[string]int{}
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
			continue
		case strings.HasPrefix(line, "["):
			end := strings.Index(line, "]")
			if end < 0 {
				return nil, fmt.Errorf("line %d: unclosed [name]", n)
			}
			cur = &Mutant{Name: line[1:end], Tags: strings.Fields(line[end+1:]), Line: n}
			if prev, ok := seen[cur.Name]; ok {
				return nil, fmt.Errorf("line %d: mutant %s already defined at line %d", n, cur.Name, prev)
			}
			seen[cur.Name] = n
			out = append(out, cur)
			continue
		}
		if cur == nil {
			return nil, fmt.Errorf("line %d: %q outside a [mutant]", n, line)
		}
		switch {
		case line == "-" || strings.HasPrefix(line, "- "):
			if len(cur.Repl) > 0 {
				return nil, fmt.Errorf("line %d: %s: a - line after a + line", n, cur.Name)
			}
			cur.Orig = append(cur.Orig, strings.TrimPrefix(strings.TrimPrefix(line, "-"), " "))
		case line == "+" || strings.HasPrefix(line, "+ "):
			cur.Repl = append(cur.Repl, strings.TrimPrefix(strings.TrimPrefix(line, "+"), " "))
		default:
			key, val, _ := strings.Cut(trimmed, " ")
			val = strings.TrimSpace(val)
			switch key {
			case "file":
				cur.File = val
			case "pkg":
				cur.Pkgs = append(cur.Pkgs, strings.Fields(val)...)
			case "run":
				cur.Run = val
			case "needs":
				cur.Needs = append(cur.Needs, strings.Fields(val)...)
			case "why":
				cur.Why = val
			case "equiv":
				cur.Equiv = val
			default:
				return nil, fmt.Errorf("line %d: %s: unknown key %q", n, cur.Name, key)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for _, m := range out {
		switch {
		case m.File == "":
			return nil, fmt.Errorf("line %d: %s: no file", m.Line, m.Name)
		case len(m.Pkgs) == 0:
			return nil, fmt.Errorf("line %d: %s: no pkg", m.Line, m.Name)
		case len(m.Orig) == 0:
			return nil, fmt.Errorf("line %d: %s: no - line", m.Line, m.Name)
		}
	}
	return out, nil
}

// Apply returns src with the mutant applied. One original line is a
// substring that must occur exactly once in src. Several original lines
// must match, once, consecutive lines of src compared without their
// leading white space; the replacement takes the first line's indent.
func (m *Mutant) Apply(src []byte) ([]byte, error) {
	s := string(src)
	if len(m.Orig) == 1 {
		if c := strings.Count(s, m.Orig[0]); c != 1 {
			return nil, fmt.Errorf("%s: %q occurs %d times in %s, want once", m.Name, m.Orig[0], c, m.File)
		}
		return []byte(strings.Replace(s, m.Orig[0], strings.Join(m.Repl, "\n"), 1)), nil
	}
	lines := strings.Split(s, "\n")
	at := -1
	for i := 0; i+len(m.Orig) <= len(lines); i++ {
		match := true
		for j, o := range m.Orig {
			if strings.TrimLeft(lines[i+j], " \t") != strings.TrimLeft(o, " \t") {
				match = false
				break
			}
		}
		if match {
			if at >= 0 {
				return nil, fmt.Errorf("%s: the original lines occur more than once in %s", m.Name, m.File)
			}
			at = i
		}
	}
	if at < 0 {
		return nil, fmt.Errorf("%s: the original lines are not in %s", m.Name, m.File)
	}
	indent := lines[at][:len(lines[at])-len(strings.TrimLeft(lines[at], " \t"))]
	repl := make([]string, len(m.Repl))
	for i, r := range m.Repl {
		repl[i] = indent + r
	}
	out := slices.Concat(lines[:at], repl, lines[at+len(m.Orig):])
	return []byte(strings.Join(out, "\n")), nil
}

// Verdict is how a mutant fared.
type Verdict string

// Verdicts.
const (
	Killed     Verdict = "killed"
	Survived   Verdict = "SURVIVED"
	Equivalent Verdict = "equivalent"
	Invalid    Verdict = "INVALID"
)

// result is one mutant's outcome.
type result struct {
	m       *Mutant
	verdict Verdict
	by      string // the failing test, or the reason
	took    time.Duration
}

type runner struct {
	root    string // module root
	tmp     string
	timeout time.Duration
	verbose bool
	out     io.Writer
}

// build compiles the test binary of pkg with overlay (or none) and returns
// its path, or the compiler's output as the error.
func (r *runner) build(ctx context.Context, pkg, overlay, bin string) error {
	args := []string{"test", "-c", "-vet=off", "-o", bin}
	if overlay != "" {
		args = append(args, "-overlay", overlay)
	}
	args = append(args, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = r.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		// The compiler's first message, not the go command's exit status.
		for _, l := range strings.Split(string(out), "\n") {
			if l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "FAIL") {
				return fmt.Errorf("%s\n%s", l, out)
			}
		}
		return fmt.Errorf("%v\n%s", err, out)
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("package %s has no test files", pkg)
	}
	return nil
}

var failRE = regexp.MustCompile(`(?m)^\s*--- FAIL: (\S+)|^panic: (.*)$`)

// test runs bin in pkg's directory and reports whether the tests passed,
// with the first failing test (or the reason) when they did not.
func (r *runner) test(ctx context.Context, pkg, bin, run string) (bool, string, string) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	// -test.failfast: the first failure kills the mutant; the tests
	// after it need not run.
	args := []string{"-test.count=1", "-test.failfast", "-test.timeout=" + r.timeout.String()}
	if run != "" {
		args = append(args, "-test.run="+run)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = filepath.Join(r.root, filepath.FromSlash(pkg))
	cmd.WaitDelay = 5 * time.Second
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	if err == nil {
		return true, "", buf.String()
	}
	if ctx.Err() != nil {
		return false, "timeout after " + r.timeout.String(), buf.String()
	}
	why := err.Error()
	if m := failRE.FindStringSubmatch(buf.String()); m != nil {
		why = m[1]
		if why == "" {
			why = "panic: " + m[2]
		}
	}
	return false, why, buf.String()
}

func (r *runner) mutant(ctx context.Context, i int, m *Mutant) result {
	start := time.Now()
	res := func(v Verdict, by string) result { return result{m: m, verdict: v, by: by, took: time.Since(start)} }
	path := filepath.Join(r.root, filepath.FromSlash(m.File))
	src, err := os.ReadFile(path)
	if err != nil {
		return res(Invalid, err.Error())
	}
	mutated, err := m.Apply(src)
	if err != nil {
		return res(Invalid, err.Error())
	}
	dir := filepath.Join(r.tmp, fmt.Sprint(i))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res(Invalid, err.Error())
	}
	defer os.RemoveAll(dir)
	mf := filepath.Join(dir, filepath.Base(path))
	if err := os.WriteFile(mf, mutated, 0o644); err != nil {
		return res(Invalid, err.Error())
	}
	ov, _ := json.Marshal(map[string]map[string]string{"Replace": {path: mf}})
	overlay := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlay, ov, 0o644); err != nil {
		return res(Invalid, err.Error())
	}
	for _, pkg := range m.Pkgs {
		bin := filepath.Join(dir, "pkg.test")
		if err := r.build(ctx, pkg, overlay, bin); err != nil {
			first, _, _ := strings.Cut(strings.TrimSpace(err.Error()), "\n")
			if r.verbose {
				fmt.Fprintf(r.out, "%s: build failed:\n%v\n", m.Name, err)
			}
			return res(Invalid, "does not compile: "+first)
		}
		ok, why, out := r.test(ctx, pkg, bin, m.Run)
		os.Remove(bin)
		if !ok {
			if r.verbose {
				fmt.Fprintf(r.out, "%s: killed by %s:\n%s\n", m.Name, why, tail(out, 15))
			}
			if m.Equiv != "" {
				return res(Killed, why+" (marked equivalent: remove the mark)")
			}
			return res(Killed, strings.TrimPrefix(pkg, "./")+" "+why)
		}
	}
	if m.Equiv != "" {
		return res(Equivalent, m.Equiv)
	}
	return res(Survived, "the tests of "+strings.Join(m.Pkgs, " ")+" pass")
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mutate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("f", "scripts/mutate/mutants.txt", "mutants `file`, relative to the module root")
	pkg := fs.String("pkg", "", "only mutants of files in internal/`NAME` (or a directory relative to the root)")
	tag := fs.String("tag", "", "only mutants with this `tag`")
	only := fs.String("only", "", "only mutants whose name matches `REGEXP`")
	list := fs.Bool("list", false, "list the mutants selected and run nothing")
	check := fs.Bool("check", false, "check that every mutant selected applies (its snippet occurs once) and run nothing")
	timeout := fs.Duration("timeout", 3*time.Minute, "per package test run of one mutant")
	verbose := fs.Bool("v", false, "show the test output of each kill and build failure")
	md := fs.Bool("md", false, "print the per-package table in Markdown")
	baseline := fs.Bool("baseline", true, "first check that each package's tests pass unmutated")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(stderr, "mutate:", err)
		return 2
	}
	f, err := os.Open(filepath.Join(root, *data))
	if err != nil {
		fmt.Fprintln(stderr, "mutate:", err)
		return 2
	}
	all, err := Parse(f)
	f.Close()
	if err != nil {
		fmt.Fprintln(stderr, "mutate:", err)
		return 2
	}
	onlyRE, err := regexp.Compile(*only)
	if err != nil {
		fmt.Fprintln(stderr, "mutate: -only:", err)
		return 2
	}
	var sel []*Mutant
	for _, m := range all {
		if *pkg != "" && m.Package() != *pkg && m.Package() != "internal/"+*pkg {
			continue
		}
		if *tag != "" && !m.hasTag(*tag) {
			continue
		}
		if !onlyRE.MatchString(m.Name) {
			continue
		}
		sel = append(sel, m)
	}
	if len(sel) == 0 {
		fmt.Fprintln(stderr, "mutate: no mutant selected")
		return 2
	}
	if *check {
		bad := 0
		for _, m := range sel {
			src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(m.File)))
			if err == nil {
				_, err = m.Apply(src)
			}
			if err != nil {
				fmt.Fprintln(stdout, "INVALID", err)
				bad++
			}
		}
		fmt.Fprintf(stdout, "%d mutants, %d do not apply\n", len(sel), bad)
		if bad > 0 {
			return 1
		}
		return 0
	}
	if *list {
		for _, m := range sel {
			fmt.Fprintf(stdout, "%-44s %-28s %s  [%s]\n", m.Name, m.File, m.Why, strings.Join(m.Tags, " "))
		}
		return 0
	}
	for _, m := range sel {
		for _, e := range m.Needs {
			if os.Getenv(e) == "" {
				fmt.Fprintf(stderr, "mutate: %s needs %s set (its tests would skip and every mutant survive)\n", m.Name, e)
				return 2
			}
		}
	}
	tmp, err := os.MkdirTemp("", "mutate-")
	if err != nil {
		fmt.Fprintln(stderr, "mutate:", err)
		return 2
	}
	defer os.RemoveAll(tmp)
	r := &runner{root: root, tmp: tmp, timeout: *timeout, verbose: *verbose, out: stdout}

	if *baseline {
		done := map[string]bool{}
		for _, m := range sel {
			for _, p := range m.Pkgs {
				key := p + "\x00" + m.Run
				if done[key] {
					continue
				}
				done[key] = true
				bin := filepath.Join(tmp, "baseline.test")
				if err := r.build(ctx, p, "", bin); err != nil {
					fmt.Fprintf(stderr, "mutate: baseline build of %s: %v\n", p, err)
					return 2
				}
				ok, why, out := r.test(ctx, p, bin, m.Run)
				os.Remove(bin)
				if !ok {
					fmt.Fprintf(stderr, "mutate: the tests of %s fail unmutated (%s): fix them first\n%s\n", p, why, tail(out, 20))
					return 2
				}
			}
		}
	}

	start := time.Now()
	var results []result
	for i, m := range sel {
		res := r.mutant(ctx, i, m)
		results = append(results, res)
		fmt.Fprintf(stdout, "%-10s %-44s %5.1fs  %s\n", res.verdict, m.Name, res.took.Seconds(), res.by)
	}
	bad := report(stdout, results, *md)
	fmt.Fprintf(stdout, "%d mutants in %s\n", len(results), time.Since(start).Round(time.Second))
	if bad > 0 {
		fmt.Fprintf(stdout, "FAIL: %d mutants survived or are invalid\n", bad)
		return 1
	}
	return 0
}

// report prints the table per package and returns how many mutants
// survived without being marked equivalent or are invalid.
func report(w io.Writer, results []result, md bool) int {
	type row struct{ n, killed, survived, equiv, invalid int }
	rows := map[string]*row{}
	var order []string
	bad := 0
	for _, r := range results {
		p := r.m.Package()
		if rows[p] == nil {
			rows[p] = &row{}
			order = append(order, p)
		}
		x := rows[p]
		x.n++
		switch r.verdict {
		case Killed:
			x.killed++
		case Survived:
			x.survived++
			bad++
		case Equivalent:
			x.equiv++
		case Invalid:
			x.invalid++
			bad++
		}
	}
	slices.Sort(order)
	efficacy := func(x *row) string {
		if d := x.n - x.equiv - x.invalid; d > 0 {
			return fmt.Sprintf("%.0f %%", 100*float64(x.killed)/float64(d))
		}
		return "–"
	}
	if md {
		fmt.Fprintln(w, "\n| Package | Mutants | Killed | Survived | Equivalent | Invalid | Efficacy |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	} else {
		fmt.Fprintf(w, "\n%-22s %7s %6s %8s %10s %7s %8s\n", "package", "mutants", "killed", "survived", "equivalent", "invalid", "efficacy")
	}
	for _, p := range order {
		x := rows[p]
		if md {
			fmt.Fprintf(w, "| `%s` | %d | %d | %d | %d | %d | %s |\n", p, x.n, x.killed, x.survived, x.equiv, x.invalid, efficacy(x))
		} else {
			fmt.Fprintf(w, "%-22s %7d %6d %8d %10d %7d %8s\n", p, x.n, x.killed, x.survived, x.equiv, x.invalid, efficacy(x))
		}
	}
	for _, r := range results {
		if r.verdict == Survived || r.verdict == Invalid {
			fmt.Fprintf(w, "%s %s (%s:%d in the list): %s\n", r.verdict, r.m.Name, r.m.File, r.m.Line, r.by)
		}
	}
	return bad
}
