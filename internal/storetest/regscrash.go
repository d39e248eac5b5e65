package storetest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/regs"
)

// The crash test of a regs.Store: a child process (the test binary run
// again, RegsCrashChild) applies batches of inputs to the store and says
// on its standard output what it tries and what returned; the parent
// kills it with SIGKILL at a random moment, reopens the store and checks
// it against what the child said (RunRegsCrash).
//
// Each input bumps the counters of two of crashMPANs (RegsBump: a read,
// a Put and a message naming the MPAN, the count and the input's key),
// so an input applied in part would show as a counter without its
// message or a message without its counter; about a third of the inputs
// are queued first (Submit) and applied by their key, as REGS applies
// CSS events; one batch in eight fails in its last input and must leave
// nothing.

const (
	crashMPANs    = 16
	crashMPANBase = 1000
)

var errCrashBatch = errors.New("storetest: the crash workload's failing batch")

// RegsCrashChild runs the crash workload on st until it is killed (or
// fails), writing its lines to out: "sub KEY" when a Submit returned,
// "try B KEY..." before batch B's Update, "ok B" when it returned, and
// "fail B" when it returned the batch's planted error, and "subtry KEY"
// before a Submit. round makes the
// keys of each run differ.
func RegsCrashChild(ctx context.Context, st regs.Store, round int, seed uint64, out io.Writer) error {
	rng := rand.New(rand.NewPCG(seed, uint64(round)))
	say := func(format string, args ...any) error {
		_, err := fmt.Fprintf(out, "regscrash "+format+"\n", args...)
		return err
	}
	for b := 0; ; b++ {
		n := 1 + rng.IntN(4)
		keys := make([]string, n)
		pick := make([][2]market.MPAN, n)
		for i := range keys {
			keys[i] = fmt.Sprintf("R%d-B%d-K%d", round, b, i)
			if rng.IntN(3) == 0 {
				keys[i] = "css:" + keys[i]
				if err := say("subtry %s", keys[i]); err != nil {
					return err
				}
				if err := st.Submit(ctx, regs.QueuedInput{Key: keys[i], Input: []byte(`{}`)}); err != nil {
					return err
				}
				if err := say("sub %s", keys[i]); err != nil {
					return err
				}
			}
			x := rng.IntN(crashMPANs)
			y := (x + 1 + rng.IntN(crashMPANs-1)) % crashMPANs
			pick[i] = [2]market.MPAN{RegsMPAN(crashMPANBase + x), RegsMPAN(crashMPANBase + y)}
		}
		failing := rng.IntN(8) == 0
		if err := say("try %d %s", b, strings.Join(keys, " ")); err != nil {
			return err
		}
		_, err := st.Update(ctx, keys, func(tx regs.Tx, i int) error {
			for _, m := range pick[i] {
				if _, err := RegsBump(tx, m, keys[i]); err != nil {
					return err
				}
			}
			if failing && i == n-1 {
				return errCrashBatch
			}
			return nil
		})
		switch {
		case failing && errors.Is(err, errCrashBatch):
			err = say("fail %d", b)
		case err == nil && !failing:
			err = say("ok %d", b)
		case err == nil:
			err = fmt.Errorf("batch %d: the failing batch returned no error", b)
		}
		if err != nil {
			return err
		}
	}
}

// crashBatch is one batch of the workload as the parent knows it.
type crashBatch struct {
	keys    []string
	acked   bool // Update returned: applied, durably
	failed  bool // Update returned the planted error: nothing applied
	unknown bool // tried, then killed: applied whole or not at all
}

// crashLedger is what the child said in every round.
type crashLedger struct {
	batches   map[string]*crashBatch // by "round/batch"
	byKey     map[string]*crashBatch
	submitted map[string]bool // Submit returned
	subtried  map[string]bool // Submit called
	acked     int
}

// RunRegsCrash runs rounds of the crash test. open returns a new handle
// on the test's store (the same database every call) and its close;
// child returns the command that runs RegsCrashChild on it for a round
// with a seed. The first call of open must find the store empty:
// RunRegsCrash loads the MPANs.
func RunRegsCrash(t *testing.T, rounds int, open func(t *testing.T) (regs.Store, func() error), child func(t *testing.T, round int, seed uint64) *exec.Cmd) {
	ctx := context.Background()
	st, closeStore := open(t)
	rs := make([]*regs.Registration, crashMPANs)
	for i := range rs {
		rs[i] = RegsFixture(RegsMPAN(crashMPANBase+i), 0)
	}
	if err := st.Load(ctx, rs); err != nil {
		t.Fatal(err)
	}
	if err := closeStore(); err != nil {
		t.Fatal(err)
	}
	led := &crashLedger{batches: map[string]*crashBatch{}, byKey: map[string]*crashBatch{}, submitted: map[string]bool{}, subtried: map[string]bool{}}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	for round := range rounds {
		// Kill within 50–800 ms of the child's first batch.
		after := time.Duration(50+rng.IntN(750)) * time.Millisecond
		seed := rng.Uint64()
		lines := runCrashChild(t, child(t, round, seed), after)
		led.record(t, round, lines)
		st, closeStore := open(t)
		led.check(t, ctx, st, round)
		if err := closeStore(); err != nil {
			t.Fatal(err)
		}
		if t.Failed() {
			t.Logf("round %d: the child's seed was %d, killed %s after its first line", round, seed, after)
			return
		}
	}
	unknown := 0
	for _, b := range led.batches {
		if b.unknown {
			unknown++
		}
	}
	t.Logf("%d rounds: %d batches acknowledged, %d cut by the kill, %d keys", rounds, led.acked, unknown, len(led.byKey))
	if led.acked < 5*rounds {
		t.Errorf("%d batches acknowledged in %d rounds: too few for the test to prove anything", led.acked, rounds)
	}
}

// runCrashChild starts cmd, kills it with SIGKILL after its first batch
// plus after, and returns the whole lines it wrote.
func runCrashChild(t *testing.T, cmd *exec.Cmd, after time.Duration) []string {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	started := make(chan struct{})
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stdout)
		first := true
		for sc.Scan() {
			l := sc.Text()
			if !strings.HasPrefix(l, "regscrash ") {
				continue
			}
			lines = append(lines, strings.TrimPrefix(l, "regscrash "))
			if first {
				first = false
				close(started)
			}
		}
	}()
	select {
	case <-started:
		time.Sleep(after)
	case <-read:
	case <-time.After(30 * time.Second):
	}
	cmd.Process.Kill()
	<-read
	err = cmd.Wait()
	if len(lines) == 0 {
		t.Fatalf("the child wrote nothing (%v): %s", err, stderr.String())
	}
	// A line written whole before the kill is read whole (a pipe write
	// under PIPE_BUF is atomic); the scanner hands a cut last line over
	// too, and record ignores what it cannot parse. A child that stopped
	// by itself failed.
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
		t.Fatalf("the child ended by itself (%v), not by the kill: %s", err, stderr.String())
	}
	return lines
}

func (led *crashLedger) record(t *testing.T, round int, lines []string) {
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		id := fmt.Sprintf("%d/%s", round, f[1])
		switch f[0] {
		case "sub":
			led.submitted[f[1]] = true
		case "subtry":
			led.subtried[f[1]] = true
		case "try":
			b := &crashBatch{keys: f[2:], unknown: true}
			led.batches[id] = b
			for _, k := range b.keys {
				led.byKey[k] = b
			}
		case "ok", "fail":
			b := led.batches[id]
			if b == nil {
				t.Fatalf("round %d: %q before its try", round, l)
			}
			b.unknown = false
			b.acked, b.failed = f[0] == "ok", f[0] == "fail"
			if b.acked {
				led.acked++
			}
		}
	}
}

// check compares the reopened store with the ledger: each MPAN's counter
// with its messages, each batch applied whole (every key in the inbox,
// with its two messages, one per MPAN it bumped, and its queued input
// gone) or not at all (no key, no message, its input still queued), and
// every acknowledged batch applied.
func (led *crashLedger) check(t *testing.T, ctx context.Context, st regs.Store, round int) {
	t.Helper()
	msgs := pendingMessages(t, st)
	perMPAN := map[market.MPAN][]int{}
	perKey := map[string]int{}
	for _, m := range msgs {
		perMPAN[m.MPAN] = append(perMPAN[m.MPAN], m.Count)
		perKey[m.Tag]++
		if led.byKey[m.Tag] == nil {
			t.Errorf("round %d: a message of %s, a key the child never tried", round, m.Tag)
		}
	}
	for i := range crashMPANs {
		m := RegsMPAN(crashMPANBase + i)
		c := counterOf(t, st, m)
		counts := perMPAN[m]
		if len(counts) != c {
			t.Errorf("round %d: %s: counter %d with %d messages: a registration change without its message, or the reverse", round, m, c, len(counts))
			continue
		}
		for j, n := range counts {
			if n != j+1 {
				t.Errorf("round %d: %s: message %d carries count %d", round, m, j, n)
				break
			}
		}
	}
	queued := map[string]bool{}
	qs, err := st.Inputs(ctx, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		queued[q.Key] = true
	}
	for id, b := range led.batches {
		// Which of its keys the inbox has: an Update whose fn fails if it
		// runs, so that it changes nothing.
		probe := errors.New("probe")
		var inInbox []bool
		for _, k := range b.keys {
			applied, err := st.Update(ctx, []string{k}, func(regs.Tx, int) error { return probe })
			switch {
			case errors.Is(err, probe):
				inInbox = append(inInbox, false)
			case err == nil && !applied[0]:
				inInbox = append(inInbox, true)
			default:
				t.Fatalf("probing %s: %v, %v", k, applied, err)
			}
		}
		whole := inInbox[0]
		for i, k := range b.keys {
			if inInbox[i] != whole {
				t.Errorf("round %d: batch %s applied in part: %v of %v in the inbox", round, id, inInbox, b.keys)
				break
			}
			want := 0
			if whole {
				want = 2
			}
			if perKey[k] != want {
				t.Errorf("round %d: batch %s: %s in the inbox %v with %d messages, want %d", round, id, k, whole, perKey[k], want)
			}
			if led.submitted[k] && queued[k] == whole {
				t.Errorf("round %d: batch %s: %s applied %v and still queued %v", round, id, k, whole, queued[k])
			}
		}
		if b.acked && !whole {
			t.Errorf("round %d: batch %s was acknowledged and is not in the store", round, id)
		}
		if b.failed && whole {
			t.Errorf("round %d: batch %s failed and is in the store", round, id)
		}
	}
	for k := range queued {
		if !led.subtried[k] {
			t.Errorf("round %d: queued input %s was never submitted", round, k)
		}
	}
}
