package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestParticipantsGuide follows docs/participants.md literally: it runs
// the guide's code blocks in order, in an empty directory, with the mhhs
// binary built from this tree first on PATH and free ports in place of
// 127.0.0.1:8080 (the DIP) and 127.0.0.1:9001 (the webhook receiver), and
// checks each output the guide shows. The blocks, by their info string:
//
//	```sh             run with bash (set -euo pipefail); it must exit 0
//	```sh exit=N      run; it must exit N (a refusal the guide shows)
//	```sh retry       run again until the output after it matches (the DIP
//	                  delivers asynchronously), for up to 15 s
//	```sh &NAME       start in the background as NAME (the DIP, the
//	                  receiver); interrupted when the test ends
//	```text           the output of the sh block before it
//	```text &NAME     output NAME prints, waited for up to 15 s
//	```go PATH        written to PATH (a program the guide builds)
//
// An output's lines must appear in order in what the command printed
// (stdout and stderr), with runs of spaces as one space and "…" standing
// for any text.
func TestParticipantsGuide(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mhhs and the guide's receiver, runs mhhs serve")
	}
	for _, tool := range []string{"bash", "openssl", "curl", "sed", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("CI is set but the guide's %s is not installed: the guide must run in CI", tool)
			}
			t.Skipf("the guide uses %s, which is not installed", tool)
		}
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "participants.md"))
	if err != nil {
		t.Fatal(err)
	}
	guide := strings.NewReplacer("127.0.0.1:8080", freeAddr(t), "127.0.0.1:9001", freeAddr(t)).Replace(string(raw))
	blocks := guideBlocks(guide)
	if len(blocks) < 20 {
		t.Fatalf("the guide has %d code blocks: the parser lost some", len(blocks))
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	env := []string{"PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "MHHS_") {
			env = append(env, kv)
		}
	}
	background := map[string]*guideProcess{}
	t.Cleanup(func() {
		for name, p := range background {
			// The DIP drains and exits 0 on an interrupt; the receiver is
			// simply stopped.
			if code := p.stop(); code != 0 && name == "dip" {
				t.Errorf("the DIP exited %d when interrupted:\n%s", code, p.out)
			}
		}
	})

	for i := 0; i < len(blocks); i++ {
		b := blocks[i]
		where := fmt.Sprintf("docs/participants.md:%d", b.line)
		var want *guideBlock
		if i+1 < len(blocks) && blocks[i+1].lang == "text" && blocks[i+1].name == "" && b.lang == "sh" && b.name == "" {
			want = &blocks[i+1]
			i++
		}
		switch {
		case b.lang == "go":
			path := filepath.Join(dir, b.arg)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(b.code), 0o644); err != nil {
				t.Fatal(err)
			}
		case b.lang == "sh" && b.name != "":
			cmd := exec.Command("bash", "-c", "set -euo pipefail\nexec "+b.code)
			cmd.Dir, cmd.Env = dir, env
			p := &guideProcess{cmd: cmd, out: &syncBuffer{}}
			cmd.Stdout, cmd.Stderr = p.out, p.out
			if err := cmd.Start(); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			background[b.name] = p
		case b.lang == "sh":
			deadline := time.Now().Add(15 * time.Second)
			for {
				out, code := runGuideBlock(t, dir, env, b)
				if code != b.exit {
					t.Fatalf("%s: exit %d, want %d:\n%s\n%s", where, code, b.exit, b.code, out)
				}
				err := error(nil)
				if want != nil {
					err = matchGuideOutput(out, want.code)
				}
				if err == nil {
					break
				}
				if !b.retry || time.Now().After(deadline) {
					t.Fatalf("%s: %v\n$ %s\n%s", where, err, b.code, out)
				}
				time.Sleep(100 * time.Millisecond)
			}
		case b.lang == "text" && b.name != "":
			p := background[b.name]
			if p == nil {
				t.Fatalf("%s: output of %s, which the guide has not started", where, b.name)
			}
			waitFor(t, fmt.Sprintf("%s to print what %s shows", b.name, where), func() bool { return matchGuideOutput(p.out.String(), b.code) == nil })
		default:
			t.Fatalf("%s: a %s block the test cannot follow", where, b.lang)
		}
	}
}

// guideBlock is one fenced code block of the guide.
type guideBlock struct {
	line      int    // of the opening fence
	lang, arg string // info string: language and the rest
	name      string // &NAME: a background process
	exit      int    // exit=N
	retry     bool
	code      string
}

func guideBlocks(doc string) []guideBlock {
	var out []guideBlock
	var cur *guideBlock
	var code []string
	for n, line := range strings.Split(doc, "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			f := strings.Fields(strings.TrimPrefix(line, "```"))
			cur = &guideBlock{line: n + 1}
			if len(f) > 0 {
				cur.lang = f[0]
				cur.arg = strings.Join(f[1:], " ")
			}
			for _, w := range f[1:] {
				switch {
				case strings.HasPrefix(w, "&"):
					cur.name = w[1:]
				case strings.HasPrefix(w, "exit="):
					fmt.Sscan(w[len("exit="):], &cur.exit)
				case w == "retry":
					cur.retry = true
				}
			}
			code = nil
		case cur != nil && line == "```":
			cur.code = strings.Join(code, "\n") + "\n"
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			code = append(code, line)
		}
	}
	return out
}

// runGuideBlock runs an sh block and returns its output and exit status.
func runGuideBlock(t *testing.T, dir string, env []string, b guideBlock) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	prelude := "set -euo pipefail\n"
	if b.exit != 0 {
		prelude = "set -uo pipefail\n" // the block's status is its last command's
	}
	cmd := exec.CommandContext(ctx, "bash", "-c", prelude+b.code)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	}
	t.Fatalf("docs/participants.md:%d: %v", b.line, err)
	return "", -1
}

// matchGuideOutput reports whether want's lines appear in order in got,
// runs of white space counting as one space and "…" matching anything.
func matchGuideOutput(got, want string) error {
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	var lines []string
	for _, l := range strings.Split(got, "\n") {
		lines = append(lines, norm(l))
	}
	j := 0
	for _, w := range strings.Split(strings.TrimSpace(want), "\n") {
		pat := regexp.MustCompile("^" + strings.ReplaceAll(regexp.QuoteMeta(norm(w)), "…", ".*") + "$")
		for j < len(lines) && !pat.MatchString(lines[j]) {
			j++
		}
		if j == len(lines) {
			return fmt.Errorf("no line (after those matched before it) matches %q", w)
		}
		j++
	}
	return nil
}

// guideProcess is a background block's process.
type guideProcess struct {
	cmd *exec.Cmd
	out *syncBuffer
}

// stop interrupts the process, as Ctrl-C would, and returns its exit
// status (it is killed if it has not exited within 20 s).
func (p *guideProcess) stop() int {
	p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	return p.cmd.ProcessState.ExitCode()
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
