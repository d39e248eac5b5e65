package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/participant"
)

// ServiceOpener returns a handle on the store of the service named name in
// one test's database: a new, empty database on the first call of a test,
// the same database on later calls (another service, or the same service
// reopened as after a restart).
type ServiceOpener func(t *testing.T, name string) participant.Store

// RunParticipant is the conformance suite of participant.Store: the inbox
// applies an input once, a failed Apply leaves nothing behind, documents
// and the outbox commit with the state change, the outbox keeps order and
// records verdicts, and services sharing a database do not see each other.
func RunParticipant(t *testing.T, open ServiceOpener) {
	ctx := context.Background()
	t.Run("InboxAppliesOnce", func(t *testing.T) {
		st := open(t, "sim")
		runs := 0
		apply := func(key string) bool {
			ok, err := st.Apply(ctx, key, func(tx participant.Tx) error {
				runs++
				var n int
				if _, err := tx.Get("count", &n); err != nil {
					return err
				}
				return tx.Put("count", n+1)
			})
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !apply("T-1") || apply("T-1") || !apply("T-2") || !apply("") || !apply("") {
			t.Fatal("Apply: want T-1 once, T-2 once, and \"\" every time")
		}
		var n int
		if ok, err := st.Get(ctx, "count", &n); !ok || err != nil || n != 4 || runs != 4 {
			t.Errorf("count = %d (ok %v, err %v), fn ran %d times; want 4 and 4", n, ok, err, runs)
		}
	})
	t.Run("ApplyAllInOneTransaction", func(t *testing.T) {
		st := open(t, "sim")
		if _, err := st.Apply(ctx, "T-2", func(participant.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		var ran []int
		applied, err := st.ApplyAll(ctx, []string{"T-1", "T-2", "T-1", "", "T-3"}, func(tx participant.Tx, i int) error {
			ran = append(ran, i)
			return tx.Queue("IF-047", []byte(fmt.Sprintf(`{"i":%d}`, i)))
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]bool{true, false, false, true, true}, applied); diff != "" {
			t.Errorf("applied (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]int{0, 3, 4}, ran); diff != "" {
			t.Errorf("fn ran for (-want +got):\n%s", diff)
		}
		boom := errors.New("boom")
		_, err = st.ApplyAll(ctx, []string{"T-4", "T-5"}, func(tx participant.Tx, i int) error {
			if err := tx.Queue("IF-047", []byte(`{"lost":true}`)); err != nil {
				return err
			}
			if i == 1 {
				return boom
			}
			return nil
		})
		if !errors.Is(err, boom) {
			t.Fatalf("ApplyAll error = %v", err)
		}
		if p, _ := st.Pending(ctx, 10); len(p) != 3 {
			t.Errorf("%d queued after a failed batch, want the 3 of the good one", len(p))
		}
		if ok, _ := st.Apply(ctx, "T-4", func(participant.Tx) error { return nil }); !ok {
			t.Error("the failed batch's first key was kept")
		}
	})
	t.Run("FailedApplyLeavesNothing", func(t *testing.T) {
		st := open(t, "sim")
		boom := errors.New("boom")
		_, err := st.Apply(ctx, "T-9", func(tx participant.Tx) error {
			if err := tx.Put("doc", "half"); err != nil {
				return err
			}
			if err := tx.Queue("IF-021", []byte(`{"a":1}`)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Apply error = %v, want fn's", err)
		}
		var v string
		if ok, _ := st.Get(ctx, "doc", &v); ok {
			t.Errorf("the failed Apply left document %q", v)
		}
		if p, _ := st.Pending(ctx, 10); len(p) != 0 {
			t.Errorf("the failed Apply left %d queued messages", len(p))
		}
		ran := false
		if ok, err := st.Apply(ctx, "T-9", func(participant.Tx) error { ran = true; return nil }); !ok || err != nil || !ran {
			t.Errorf("the key of a failed Apply was kept: applied %v, ran %v, err %v", ok, ran, err)
		}
	})
	t.Run("OutboxOrderAndVerdicts", func(t *testing.T) {
		st := open(t, "sim")
		checkOutbox(t, st, func(i int, channel string, payload []byte) error {
			_, err := st.Apply(ctx, fmt.Sprint("T-", i), func(tx participant.Tx) error { return tx.Queue(channel, payload) })
			return err
		})
	})
	t.Run("ServicesApart", func(t *testing.T) {
		a := open(t, "a")
		b := open(t, "b")
		if _, err := a.Apply(ctx, "T-1", func(tx participant.Tx) error {
			if err := tx.Put("k", "of a"); err != nil {
				return err
			}
			return tx.Queue("IF-047", []byte(`{}`))
		}); err != nil {
			t.Fatal(err)
		}
		ran := false
		if ok, err := b.Apply(ctx, "T-1", func(participant.Tx) error { ran = true; return nil }); !ok || !ran || err != nil {
			t.Errorf("b's inbox saw a's key: applied %v, err %v", ok, err)
		}
		var v string
		if ok, _ := b.Get(ctx, "k", &v); ok {
			t.Errorf("b reads a's document %q", v)
		}
		if p, _ := b.Pending(ctx, 10); len(p) != 0 {
			t.Errorf("b's outbox holds a's message")
		}
	})
	t.Run("SurvivesReopen", func(t *testing.T) {
		st := open(t, "sim")
		if _, err := st.Apply(ctx, "T-1", func(tx participant.Tx) error {
			if err := tx.Put("k", map[string]int{"x": 7}); err != nil {
				return err
			}
			return tx.Queue("IF-047", []byte(`{"kept":true}`))
		}); err != nil {
			t.Fatal(err)
		}
		again := open(t, "sim")
		var v map[string]int
		if ok, err := again.Get(ctx, "k", &v); !ok || err != nil || v["x"] != 7 {
			t.Errorf("reopened: document %v (ok %v, err %v)", v, ok, err)
		}
		if p, _ := again.Pending(ctx, 10); len(p) != 1 || string(p[0].Payload) != `{"kept":true}` {
			t.Errorf("reopened: pending %v", p)
		}
		if ok, _ := again.Apply(ctx, "T-1", func(participant.Tx) error { return nil }); ok {
			t.Error("reopened: T-1 applied again")
		}
	})
}

// checkOutbox queues five messages through queue, each in a transaction
// of its own, and checks that ob gives them back in queue order, limited,
// and that the messages Done records (sent or refused) leave the queue
// and only they. RunParticipant and RunRegs share it.
func checkOutbox(t *testing.T, ob participant.Outbox, queue func(i int, channel string, payload []byte) error) {
	t.Helper()
	ctx := context.Background()
	for i := range 5 {
		if err := queue(i, fmt.Sprintf("IF-0%d", 20+i%2), []byte(fmt.Sprintf(`{"n":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	p, err := ob.Pending(ctx, 3)
	if err != nil || len(p) != 3 {
		t.Fatalf("Pending(3) = %d, %v", len(p), err)
	}
	for i, o := range p {
		if string(o.Payload) != fmt.Sprintf(`{"n":%d}`, i) || o.Channel != fmt.Sprintf("IF-0%d", 20+i%2) {
			t.Errorf("pending[%d] = %s on %s, want message %d in queue order", i, o.Payload, o.Channel, i)
		}
	}
	err = ob.Done(ctx, []participant.Sent{
		{ID: p[0].ID, Verdict: participant.Verdict{Code: catalogue.MSG0000, TransactionID: "T-IF-020-x"}},
		{ID: p[1].ID, Verdict: participant.Verdict{Code: catalogue.MSG3001}},
		{ID: p[2].ID, Verdict: participant.Verdict{Code: catalogue.MSG1001, Detail: "bad"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	rest, err := ob.Pending(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range rest {
		got = append(got, string(o.Payload))
	}
	if diff := cmp.Diff([]string{`{"n":3}`, `{"n":4}`}, got); diff != "" {
		t.Errorf("after Done, pending (-want +got):\n%s", diff)
	}
}
