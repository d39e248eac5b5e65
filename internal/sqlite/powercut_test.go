package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
)

// TestPowerCutKeepsAcknowledged cuts power under intake, many times: the
// intake log is on a crashFS, which keeps only what was made durable, so a
// power cut is simulated and not only the death of a process (which keeps
// the page cache). Each seed runs three rounds of concurrent group commits
// with a cut at a random file operation (a write, a sync, a segment's
// creation), lets part of the unsynced bytes through or damages them, and
// reopens on what survived. After each recovery every message whose Accept
// returned is there, with its seq, body, delivery and registration update,
// and nothing else is there but messages whose Accept failed at the cut,
// each whole or absent; seqs run without gaps; the duplicate check knows
// every message present.
//
// The SQLite database is on the real file system (faulting it is out of
// reach here): the index keeps every transaction, so the test covers the
// log's durability, and the index's loss is covered by TestRecoverReindexes.
func TestPowerCutKeepsAcknowledged(t *testing.T) {
	seeds := 50
	if testing.Short() {
		seeds = 10
	}
	acked := 0
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			acked += powerCuts(t, uint64(seed))
		})
	}
	// Cuts come at random operations; most rounds must get some commits
	// through first, or the test proves little.
	t.Logf("%d acknowledged", acked)
	if acked < 20*seeds {
		t.Errorf("%d messages acknowledged in %d seeds, want at least %d", acked, seeds, 20*seeds)
	}
}

// sentMessage is what a participant knows of a message it sent.
type sentMessage struct {
	msg      *dip.Message
	supplier string // the registration update's supplier; "" without one
	seq      int64  // when acknowledged
	acked    bool   // Accept returned for it: it must be there, always
	unknown  bool   // an Accept of it failed at a cut: there or not
}

// ledger is every message a seed sent, by senderUniqueReference.
type ledger struct {
	mu   sync.Mutex
	msgs map[string]*sentMessage
	n    int
}

// powerCuts runs one seed and returns how many messages were acknowledged.
func powerCuts(t *testing.T, seed uint64) int {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 0x6d686873))
	path := filepath.Join(t.TempDir(), "mhhs.db")
	fsys := newCrashFS(rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())))
	led := &ledger{msgs: map[string]*sentMessage{}}
	for round := range 3 {
		db, err := OpenOptions(ctx, path, Options{LogFS: fsys})
		if err != nil {
			t.Fatalf("round %d: open after the cut: %v", round, err)
		}
		db.bodies.maxSize = int64(1+rng.IntN(4)) * 4096 // a segment every few commits
		retry := led.check(t, ctx, db, round)

		committers := 1 + rng.IntN(4)
		accepts := 10 + rng.IntN(20) // per committer
		fsys.armCut(1 + rng.IntN(committers*accepts*2))
		var wg sync.WaitGroup
		for range committers {
			batches := make([][]*sentMessage, accepts)
			for i := range batches {
				batches[i] = led.batch(rng, round, &retry)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, b := range batches {
					if !led.accept(t, ctx, db, b) {
						return
					}
				}
			}()
		}
		wg.Wait()
		if !fsys.cutHappened() {
			fsys.cut()
		}
		db.Close() // fails: the machine is off
		fsys = fsys.crash()
	}
	db, err := OpenOptions(ctx, path, Options{LogFS: fsys})
	if err != nil {
		t.Fatalf("open after the last cut: %v", err)
	}
	defer db.Close()
	led.check(t, ctx, db, 3)
	return led.count(func(m *sentMessage) bool { return m.acked })
}

// batch makes the messages of one Accept: new ones, some with a
// registration update, and now and then a message whose fate a cut left
// unknown and that turned out lost (sent again, as a participant does), or
// one already accepted (which must come back a duplicate).
func (l *ledger) batch(rng *rand.Rand, round int, retry *[]*sentMessage) []*sentMessage {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*sentMessage
	for range 1 + rng.IntN(6) {
		switch k := rng.IntN(20); {
		case k == 0 && len(*retry) > 0:
			out = append(out, (*retry)[0])
			*retry = (*retry)[1:]
			continue
		case k == 1:
			for _, m := range l.msgs {
				if m.acked && !slices.Contains(out, m) {
					out = append(out, m)
					break
				}
			}
			continue
		}
		l.n++
		sur := fmt.Sprintf("S-%d-%d", round, l.n)
		at := t0.Add(time.Duration(l.n) * time.Millisecond)
		pad := make([]byte, rng.IntN(3000))
		for i := range pad {
			if rng.IntN(4) == 0 {
				pad[i] = byte('a' + rng.IntN(26))
			} else {
				pad[i] = 'x'
			}
		}
		m := &dip.Message{
			TransactionID: fmt.Sprintf("T-IF-021-1200000001-SDS-20261101-%016X", l.n), Channel: "IF-021", EventCode: "[ActivePower]",
			SenderDIPID: "1200000001", SenderRole: "SDS", SenderUniqueReference: sur, AcceptedAt: at,
			Recipients: []dip.Recipient{{DIPID: recipient, Role: "MDS", Route: dip.Always}},
			Body:       []byte(`{"sur":"` + sur + `","pad":"` + string(pad) + `"}`),
		}
		s := &sentMessage{msg: m}
		if rng.IntN(8) == 0 {
			m.MPAN = fmt.Sprintf("12%011d", l.n)
			s.supplier = fmt.Sprintf("23%08d", l.n)
			m.UpdateParties = func(p *dip.Parties) bool { p.Supplier = s.supplier; return true }
		}
		l.msgs[sur] = s
		out = append(out, s)
	}
	return out
}

// accept sends b and records the outcome; it reports whether the store
// still accepts.
func (l *ledger) accept(t *testing.T, ctx context.Context, db *DB, b []*sentMessage) bool {
	msgs := make([]*dip.Message, len(b))
	for i, s := range b {
		m := *s.msg
		msgs[i] = &m
	}
	res, err := db.Accept(ctx, msgs)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		for _, s := range b {
			if !s.acked {
				s.unknown = true
			}
		}
		return false
	}
	for i, s := range b {
		switch {
		case s.acked && !res[i].Duplicate:
			t.Errorf("%s accepted again as seq %d: it was seq %d", s.msg.SenderUniqueReference, res[i].Seq, s.seq)
		case !s.acked && res[i].Duplicate:
			t.Errorf("%s, never in the store, came back a duplicate", s.msg.SenderUniqueReference)
		case !s.acked:
			s.acked, s.unknown, s.seq = true, false, res[i].Seq
		}
	}
	return true
}

func (l *ledger) count(f func(*sentMessage) bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if f(m) {
			n++
		}
	}
	return n
}

// check compares the store, just recovered, with the ledger. Messages whose
// fate was unknown become acknowledged when they are there (they were
// durable; the participant learns so from the duplicate check or the
// journal) and are returned, to be sent again, when they are not.
func (l *ledger) check(t *testing.T, ctx context.Context, db *DB, round int) (lost []*sentMessage) {
	t.Helper()
	var got []dip.Message
	for after := int64(0); ; {
		page, more, err := db.Replay(ctx, dip.ReplayQuery{Recipient: recipient, AfterSeq: after, Limit: 500})
		if err != nil {
			t.Fatalf("round %d: replay after recovery: %v", round, err)
		}
		got = append(got, page...)
		if !more {
			break
		}
		after = page[len(page)-1].Seq
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	present := map[string]bool{}
	for i, m := range got {
		if m.Seq != int64(i+1) {
			t.Fatalf("round %d: message %d has seq %d: the log has a gap or a repeat", round, i+1, m.Seq)
		}
		s, ok := l.msgs[m.SenderUniqueReference]
		switch {
		case !ok:
			t.Fatalf("round %d: seq %d is %q, which was never sent", round, m.Seq, m.SenderUniqueReference)
		case !s.acked && !s.unknown:
			t.Errorf("round %d: seq %d is %s, whose Accept never ran", round, m.Seq, m.SenderUniqueReference)
		case s.acked && s.seq != m.Seq:
			t.Errorf("round %d: %s is seq %d, acknowledged as %d", round, m.SenderUniqueReference, m.Seq, s.seq)
		case string(m.Body) != string(s.msg.Body):
			t.Errorf("round %d: %s's body is %d bytes, not the %d sent", round, m.SenderUniqueReference, len(m.Body), len(s.msg.Body))
		case m.TransactionID != s.msg.TransactionID || m.MPAN != s.msg.MPAN || !m.AcceptedAt.Equal(s.msg.AcceptedAt):
			t.Errorf("round %d: %s read back as %+v", round, m.SenderUniqueReference, m)
		}
		present[m.SenderUniqueReference] = true
	}
	want, have := 0, 0
	var mpans []string
	for sur, s := range l.msgs {
		if s.acked {
			want++
			if present[sur] {
				have++
			} else {
				t.Errorf("round %d: %s, acknowledged as seq %d, is lost", round, sur, s.seq)
			}
		}
		if s.supplier != "" {
			mpans = append(mpans, s.msg.MPAN)
		}
	}
	if have != want {
		t.Errorf("round %d: %d of the %d acknowledged messages are there", round, have, want)
	}
	parties, err := db.Parties(ctx, mpans)
	if err != nil {
		t.Fatal(err)
	}
	for sur, s := range l.msgs {
		if s.supplier == "" {
			continue
		}
		if got := parties[s.msg.MPAN].Supplier; (got == s.supplier) != present[sur] {
			t.Errorf("round %d: %s present %v, but its registration update says supplier %q", round, sur, present[sur], got)
		}
	}
	for sur, s := range l.msgs {
		if !s.unknown {
			continue
		}
		if present[sur] {
			for _, m := range got {
				if m.SenderUniqueReference == sur {
					s.acked, s.unknown, s.seq = true, false, m.Seq
				}
			}
		} else {
			s.unknown = false
			lost = append(lost, s)
		}
	}
	slices.SortFunc(lost, func(a, b *sentMessage) int { return a.msg.AcceptedAt.Compare(b.msg.AcceptedAt) })
	return lost
}
