// Package storetest is the conformance suite every dip.Store and isd.Store
// implementation passes (internal/sqlite, internal/postgres): the same
// tests, run against a real database of each kind. Run is the DIP's suite,
// RunISD the standing data's.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mhhs/mhhs/internal/dip"
)

// Opener returns a new, empty store for one test. Call it more than once in
// a test to get a second handle on the same database (it must share state
// with the first) when second is true.
type Opener func(t *testing.T) dip.Store

// Shared returns a second handle on the same database as the store opened
// last, for tests of several processes sharing one database; nil when the
// engine does not support it.
type Shared func(t *testing.T) dip.Store

var t0 = time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)

// Run runs the suite. shared may be nil.
func Run(t *testing.T, open Opener, shared Shared) {
	tests := map[string]func(*testing.T, dip.Store){
		"Participants":        testParticipants,
		"Webhooks":            testWebhooks,
		"AcceptAndDedupe":     testAcceptAndDedupe,
		"Parties":             testParties,
		"ClaimOrderAndLease":  testClaimOrderAndLease,
		"ClaimByChannel":      testClaimByChannel,
		"CompleteAndPause":    testCompleteAndPause,
		"DeadLettersRequeue":  testDeadLettersRequeue,
		"Journal":             testJournal,
		"Replay":              testReplay,
		"Purge":               testPurge,
		"ConcurrentAcceptors": testConcurrentAcceptors,
		"RequeueJobs":         testRequeueJobs,
		"LoadParties":         testLoadParties,
		"Queues":              testQueues,
		"ClaimRuns":           testClaimRuns,
		"RunRetriedInOrder":   testRunRetriedInOrder,
		"HubPostsRunsInOrder": testHubPostsRunsInOrder,
	}
	for n, f := range archiveTests {
		tests[n] = f
	}
	names := make([]string, 0, len(tests))
	for n := range tests {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		t.Run(n, func(t *testing.T) { tests[n](t, open(t)) })
	}
	if shared != nil {
		t.Run("TwoProcessesClaimDisjoint", func(t *testing.T) {
			a := open(t)
			b := shared(t)
			testTwoProcesses(t, a, b)
		})
		t.Run("TwoProcessesStartOneRequeue", func(t *testing.T) {
			a := open(t)
			b := shared(t)
			testTwoProcessesStartOneRequeue(t, a, b)
		})
		t.Run("ClaimTakeoverAfterRestart", func(t *testing.T) { testClaimTakeover(t, open, shared) })
		t.Run("TwoProcessesClaimRunsInOrder", func(t *testing.T) {
			a := open(t)
			b := shared(t)
			testTwoProcessesClaimRunsInOrder(t, a, b)
		})
	}
}

func ctx() context.Context { return context.Background() }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func msg(sender, sur, mpan string, at time.Time, recips ...string) *dip.Message {
	m := &dip.Message{
		TransactionID: dip.NewTransactionID("IF-021", sender, "SDS", at), Channel: "IF-021", EventCode: "[ActivePower]",
		SenderDIPID: sender, SenderRole: "SDS", SenderUniqueReference: sur, MPAN: mpan, AcceptedAt: at,
		Body: []byte(`{"CommonBlock":{},"CustomBlock":{"sur":"` + sur + `"}}`),
	}
	for _, r := range recips {
		m.Recipients = append(m.Recipients, dip.Recipient{DIPID: r, Role: "MDS", Route: dip.Always})
	}
	return m
}

func accept(t *testing.T, s dip.Store, ms ...*dip.Message) []dip.AcceptResult {
	t.Helper()
	res, err := s.Accept(ctx(), ms)
	must(t, err)
	return res
}

func claim(t *testing.T, s dip.Store, now time.Time, recips ...string) []dip.Delivery {
	t.Helper()
	var targets []dip.Target
	for _, r := range recips {
		targets = append(targets, dip.Target{Recipient: r})
	}
	ds, err := s.ClaimDue(ctx(), dip.ClaimQuery{Now: now, Limit: 100, Owner: "test", Lease: time.Minute, Targets: targets})
	must(t, err)
	return ds
}

func seqs(ds []dip.Delivery) []int64 {
	var out []int64
	for _, d := range ds {
		out = append(out, d.Seq)
	}
	return out
}

func testParticipants(t *testing.T, s dip.Store) {
	p := dip.Participant{DIPID: "1800000001", Name: "MDS", Roles: []string{"MDS"}, MPIDs: []string{"ELEX"}, CertFingerprint: "ab", APIKeyHash: "k1", Created: t0}
	must(t, s.PutParticipant(ctx(), p))
	q := dip.Participant{DIPID: "2300000001", Name: "Supplier", Roles: []string{"SUP"}, MPIDs: []string{"AAAA", "BBBB"}, APIKeyHash: "k2", Created: t0}
	must(t, s.PutParticipant(ctx(), q))
	p.Disabled, p.Roles = true, []string{"MDS", "LSS"}
	must(t, s.PutParticipant(ctx(), p))
	got, err := s.Participants(ctx())
	must(t, err)
	want := []dip.Participant{p, q}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("participants (-want +got):\n%s", diff)
	}
}

func testWebhooks(t *testing.T, s dip.Store) {
	w := dip.Webhook{Channel: "IF-021", Recipient: "1800000001", CallbackURL: "https://a/1"}
	must(t, s.PutWebhook(ctx(), w))
	w.CallbackURL = "https://a/2"
	must(t, s.PutWebhook(ctx(), w))
	must(t, s.PutWebhook(ctx(), dip.Webhook{Channel: dip.StatusChannel, Recipient: "1800000001", CallbackURL: "https://a/s"}))
	got, err := s.Webhooks(ctx())
	must(t, err)
	if len(got) != 2 || got[0].CallbackURL != "https://a/2" {
		t.Fatalf("webhooks: %+v", got)
	}
	must(t, s.DeleteWebhook(ctx(), "IF-021", "1800000001"))
	if err := s.DeleteWebhook(ctx(), "IF-021", "1800000001"); err != dip.ErrNotFound {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
}

func testAcceptAndDedupe(t *testing.T, s dip.Store) {
	a := msg("1200000001", "S-1", "1200023305967", t0, "1800000001", "1900000001")
	b := msg("1200000001", "S-2", "1200023305967", t0, "1800000001")
	dup := msg("1200000001", "S-1", "1200023305967", t0, "1800000001")
	other := msg("1200000002", "S-1", "", t0, "1800000001")
	res := accept(t, s, a, b, dup, other)
	if res[0].Duplicate || res[1].Duplicate || !res[2].Duplicate || res[3].Duplicate {
		t.Fatalf("duplicates: %+v", res)
	}
	if !(res[0].Seq < res[1].Seq && res[1].Seq < res[3].Seq) {
		t.Errorf("seqs not increasing: %+v", res)
	}
	again := accept(t, s, msg("1200000001", "S-2", "", t0, "1800000001"))
	if !again[0].Duplicate {
		t.Error("duplicate across calls accepted")
	}
	ds := claim(t, s, t0, "1800000001", "1900000001")
	if got := len(ds); got != 3 { // a (2 recipients) + other; b waits behind a for 1800000001
		t.Errorf("claimed %d deliveries, want 3: %v", got, seqs(ds))
	}
	for _, d := range ds {
		if d.Seq == res[0].Seq && string(d.Body) != string(a.Body) {
			t.Errorf("body %s", d.Body)
		}
		if d.Status != dip.StatusPending || d.Channel != "IF-021" || d.TransactionID == "" {
			t.Errorf("delivery %+v", d)
		}
	}
}

func testParties(t *testing.T, s dip.Store) {
	m := msg("2200000001", "S-1", "1200023305967", t0, "2300000001")
	m.UpdateParties = func(p *dip.Parties) bool { p.Supplier = "2300000001"; return true }
	n := msg("2200000001", "S-2", "1200023305967", t0, "2300000001")
	n.UpdateParties = func(p *dip.Parties) bool {
		if p.Supplier != "2300000001" {
			t.Errorf("second update saw supplier %q", p.Supplier)
		}
		p.DataService = "1200000001"
		return true
	}
	accept(t, s, m, n)
	// A duplicate's registration update is not applied.
	dup := msg("2200000001", "S-1", "1200023305967", t0, "2300000001")
	dup.UpdateParties = func(p *dip.Parties) bool { p.Supplier = "2399999999"; return true }
	if res := accept(t, s, dup); !res[0].Duplicate {
		t.Fatal("duplicate accepted")
	}
	got, err := s.Parties(ctx(), []string{"1200023305967", "1100000000017"})
	must(t, err)
	want := map[string]dip.Parties{
		"1200023305967": {MPAN: "1200023305967", Supplier: "2300000001", DataService: "1200000001"},
		"1100000000017": {MPAN: "1100000000017"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parties (-want +got):\n%s", diff)
	}
	rec, err := s.Journal(ctx(), "2200000001", "S-1")
	must(t, err)
	if rec.Entries[1].Stage != "MPANUpdateQueue" {
		t.Errorf("journal lacks MPANUpdateQueue: %+v", rec.Entries)
	}
	// A change secured for a later date is kept pending with the parties,
	// and read back as it was stored.
	later := t0.Add(7 * 24 * time.Hour).UTC()
	sw := msg("2200000001", "S-3", "1200023305967", t0, "2300000002")
	sw.UpdateParties = func(p *dip.Parties) bool {
		p.Pending = append(p.Pending, dip.PartyChange{From: later, Role: dip.PartySupplier, DIPID: "2300000002"})
		return true
	}
	accept(t, s, sw)
	got, err = s.Parties(ctx(), []string{"1200023305967"})
	must(t, err)
	p := got["1200023305967"]
	if p.Supplier != "2300000001" || len(p.Pending) != 1 || !p.Pending[0].From.Equal(later) || p.Pending[0].DIPID != "2300000002" {
		t.Errorf("after a switch secured for later: %+v", p)
	}
	if p.At(later).Supplier != "2300000002" {
		t.Errorf("the pending switch does not apply at its date: %+v", p.At(later))
	}
}

func testClaimOrderAndLease(t *testing.T, s dip.Store) {
	const r = "1800000001"
	m1 := msg("1200000001", "S-1", "1200023305967", t0, r)
	m2 := msg("1200000001", "S-2", "1200023305967", t0, r)
	m3 := msg("1200000001", "S-3", "1100000000017", t0, r)
	m4 := msg("1200000001", "S-4", "", t0, r)
	m5 := msg("1200000001", "S-5", "", t0, r)
	res := accept(t, s, m1, m2, m3, m4, m5)
	first := claim(t, s, t0, r)
	if diff := cmp.Diff([]int64{res[0].Seq, res[2].Seq, res[3].Seq, res[4].Seq}, seqs(first)); diff != "" {
		t.Errorf("first claim (-want +got):\n%s", diff)
	}
	if again := claim(t, s, t0.Add(30*time.Second), r); len(again) != 0 {
		t.Errorf("leased deliveries claimed again: %v", seqs(again))
	}
	if other := claim(t, s, t0, "1900000001"); len(other) != 0 {
		t.Errorf("claimed for a recipient with no deliveries: %v", seqs(other))
	}
	// Deliver m1: m2 becomes due.
	must(t, s.Complete(ctx(), []dip.Attempt{{Seq: res[0].Seq, Recipient: r, At: t0, StatusCode: 201, Status: dip.StatusDelivered}}, 0))
	next := claim(t, s, t0.Add(time.Second), r)
	if diff := cmp.Diff([]int64{res[1].Seq}, seqs(next)); diff != "" {
		t.Errorf("after delivering m1 (-want +got):\n%s", diff)
	}
	// The leases of m2..m5 expire: they can be claimed again (at-least-once).
	expired := claim(t, s, t0.Add(2*time.Minute), r)
	if diff := cmp.Diff([]int64{res[1].Seq, res[2].Seq, res[3].Seq, res[4].Seq}, seqs(expired)); diff != "" {
		t.Errorf("after lease expiry (-want +got):\n%s", diff)
	}
}

// testClaimByChannel: a recipient is claimed for only on the channels it has
// a deliverer for, and a message waiting on one channel does not hold back
// the same MPAN's messages on another.
func testClaimByChannel(t *testing.T, s dip.Store) {
	const r = "2300000001"
	onIF001 := msg("2200000001", "S-1", "1200023305967", t0, r)
	onIF001.Channel, onIF001.SenderRole = "IF-001", "REGS"
	onIF021 := msg("1200000001", "S-2", "1200023305967", t0, r)
	res := accept(t, s, onIF001, onIF021)
	ds, err := s.ClaimDue(ctx(), dip.ClaimQuery{Now: t0, Limit: 10, Owner: "test", Lease: time.Minute,
		Targets: []dip.Target{{Recipient: r, Channels: []string{"IF-021"}}}})
	must(t, err)
	if !slices.Equal(seqs(ds), []int64{res[1].Seq}) {
		t.Errorf("claimed %v on IF-021 only, want just the IF-021 message %d (the IF-001 one waits, on its own channel)", seqs(ds), res[1].Seq)
	}
	ds, err = s.ClaimDue(ctx(), dip.ClaimQuery{Now: t0, Limit: 10, Owner: "test", Lease: time.Minute,
		Targets: []dip.Target{{Recipient: r, Channels: []string{"IF-001"}}}})
	must(t, err)
	if !slices.Equal(seqs(ds), []int64{res[0].Seq}) {
		t.Errorf("claimed %v on IF-001, want %d", seqs(ds), res[0].Seq)
	}
}

func testCompleteAndPause(t *testing.T, s dip.Store) {
	const r = "1800000001"
	var ms []*dip.Message
	for i := 0; i < 4; i++ {
		ms = append(ms, msg("1200000001", fmt.Sprintf("S-%d", i), "", t0, r))
	}
	res := accept(t, s, ms...)
	fail := func(seq int64, at time.Time) dip.Attempt {
		// Retried in three hours: Resume, at two, makes them due at once.
		return dip.Attempt{Seq: seq, Recipient: r, At: at, StatusCode: 500, Status: dip.StatusRetrying, Error: "boom", Next: at.Add(3 * time.Hour), Failure: true}
	}
	must(t, s.Complete(ctx(), []dip.Attempt{fail(res[0].Seq, t0), fail(res[1].Seq, t0)}, 3))
	states, err := s.RecipientStates(ctx())
	must(t, err)
	if len(states) != 1 || states[0].Paused || states[0].ConsecutiveFailures != 2 {
		t.Fatalf("after 2 failures: %+v", states)
	}
	if ds := claim(t, s, t0.Add(500*time.Millisecond), r); !slices.Equal(seqs(ds), []int64{res[2].Seq, res[3].Seq}) {
		t.Errorf("retrying deliveries claimed before their next attempt: %v", seqs(ds))
	}
	must(t, s.Complete(ctx(), []dip.Attempt{fail(res[2].Seq, t0)}, 3))
	states, _ = s.RecipientStates(ctx())
	if !states[0].Paused {
		t.Fatalf("not paused after 3 consecutive failures: %+v", states)
	}
	// A delivery in flight when it paused fails later: the recipient
	// stays paused since the third failure.
	must(t, s.Complete(ctx(), []dip.Attempt{fail(res[3].Seq, t0.Add(30*time.Minute))}, 3))
	states, _ = s.RecipientStates(ctx())
	if !states[0].Paused || !states[0].PausedAt.Equal(t0) {
		t.Errorf("a failure while paused: %+v, want paused at %v still", states, t0)
	}
	// At four hours every failed delivery is due but for the pause.
	if ds := claim(t, s, t0.Add(4*time.Hour), r); len(ds) != 0 {
		t.Errorf("claimed for a paused recipient: %v", seqs(ds))
	}
	must(t, s.Resume(ctx(), r, t0.Add(2*time.Hour)))
	states, _ = s.RecipientStates(ctx())
	if states[0].Paused || states[0].ConsecutiveFailures != 0 {
		t.Errorf("after resume: %+v, want not paused with no failures", states)
	}
	ds := claim(t, s, t0.Add(2*time.Hour), r)
	if len(ds) != 4 {
		t.Errorf("after resume claimed %v, want all 4", seqs(ds))
	}
	if err := s.Resume(ctx(), "9999999999", t0); err != dip.ErrNotFound {
		t.Errorf("resume unknown: %v", err)
	}
	// A success resets the failure count.
	must(t, s.Complete(ctx(), []dip.Attempt{{Seq: res[0].Seq, Recipient: r, At: t0, StatusCode: 201, Status: dip.StatusDelivered}}, 3))
	states, _ = s.RecipientStates(ctx())
	if states[0].ConsecutiveFailures != 0 || states[0].Paused {
		t.Errorf("after success: %+v", states)
	}

	// Failures are counted in a row: two, a success in a later round,
	// then one more do not pause at three (Resume above reset r's count
	// itself, so this is another recipient's count, reset by the success).
	const r2 = "1900000001"
	res = accept(t, s, msg("1200000001", "S-r2-1", "", t0, r2), msg("1200000001", "S-r2-2", "", t0, r2), msg("1200000001", "S-r2-3", "", t0, r2))
	fail2 := func(seq int64) dip.Attempt {
		return dip.Attempt{Seq: seq, Recipient: r2, At: t0, StatusCode: 500, Status: dip.StatusRetrying, Error: "boom", Next: t0.Add(time.Second), Failure: true}
	}
	must(t, s.Complete(ctx(), []dip.Attempt{fail2(res[0].Seq), fail2(res[1].Seq)}, 3))
	must(t, s.Complete(ctx(), []dip.Attempt{{Seq: res[2].Seq, Recipient: r2, At: t0, StatusCode: 201, Status: dip.StatusDelivered}}, 3))
	must(t, s.Complete(ctx(), []dip.Attempt{fail2(res[0].Seq)}, 3))
	states, err = s.RecipientStates(ctx())
	must(t, err)
	var st2 *dip.RecipientState
	for i := range states {
		if states[i].Recipient == r2 {
			st2 = &states[i]
		}
	}
	if st2 == nil || st2.Paused || st2.ConsecutiveFailures != 1 {
		t.Errorf("two failures, a success, a failure: %+v, want 1 failure in a row, not paused", st2)
	}
	// PauseAfter 0 never pauses, a recipient the store knows or not; a new
	// recipient failing PauseAfter times in its first round is paused.
	const r3, r4 = "2000000001", "2000000002"
	res3 := accept(t, s, msg("1200000001", "S-r3-1", "", t0, r3, r4), msg("1200000001", "S-r3-2", "", t0, r3, r4), msg("1200000001", "S-r3-3", "", t0, r3, r4))
	failTo := func(rcpt string, seq int64) dip.Attempt {
		return dip.Attempt{Seq: seq, Recipient: rcpt, At: t0, StatusCode: 500, Status: dip.StatusRetrying, Error: "boom", Next: t0.Add(time.Second), Failure: true}
	}
	must(t, s.Complete(ctx(), []dip.Attempt{failTo(r3, res3[0].Seq), failTo(r3, res3[1].Seq)}, 0))
	must(t, s.Complete(ctx(), []dip.Attempt{failTo(r3, res3[2].Seq)}, 0))
	must(t, s.Complete(ctx(), []dip.Attempt{failTo(r4, res3[0].Seq), failTo(r4, res3[1].Seq), failTo(r4, res3[2].Seq)}, 3))
	states, err = s.RecipientStates(ctx())
	must(t, err)
	found := 0
	for _, st := range states {
		switch st.Recipient {
		case r3, r4:
			found++
		}
		switch st.Recipient {
		case r3:
			if st.Paused || st.ConsecutiveFailures != 3 {
				t.Errorf("PauseAfter 0, 3 failures in two rounds: %+v, want 3 failures, not paused", st)
			}
		case r4:
			if !st.Paused || st.ConsecutiveFailures != 3 {
				t.Errorf("PauseAfter 3, 3 failures in a new recipient's first round: %+v, want paused", st)
			}
		}
	}
	if found != 2 {
		t.Errorf("states of %s and %s: %d found in %+v", r3, r4, found, states)
	}

	// Each attempt counts on the delivery, retried or not.
	ds = claim(t, s, t0.Add(time.Hour), r2)
	attempts := map[int64]int{}
	for _, d := range ds {
		attempts[d.Seq] = d.Attempts
	}
	if want := map[int64]int{res[0].Seq: 2, res[1].Seq: 1}; !maps.Equal(attempts, want) {
		t.Errorf("attempts of the retrying deliveries: %v, want %v", attempts, want)
	}

	// A recipient whose first delivery succeeds is known from then on,
	// with no failures.
	const r5 = "2000000005"
	res5 := accept(t, s, msg("1200000001", "S-r5-1", "", t0, r5))
	must(t, s.Complete(ctx(), []dip.Attempt{{Seq: res5[0].Seq, Recipient: r5, At: t0, StatusCode: 201, Status: dip.StatusDelivered}}, 3))
	states, err = s.RecipientStates(ctx())
	must(t, err)
	if i := slices.IndexFunc(states, func(st dip.RecipientState) bool { return st.Recipient == r5 }); i < 0 || states[i].Paused || states[i].ConsecutiveFailures != 0 {
		t.Errorf("a recipient after its first delivery succeeded: states %+v, want it listed with no failures", states)
	}
}

func testDeadLettersRequeue(t *testing.T, s dip.Store) {
	// other received S-1 too, and its delivery is a dead letter as well:
	// requeueing r's leaves other's alone.
	const r, other = "1800000001", "1900000001"
	res := accept(t, s, msg("1200000001", "S-1", "", t0, r, other), msg("1200000001", "S-2", "", t0, r))
	must(t, s.Complete(ctx(), []dip.Attempt{
		{Seq: res[0].Seq, Recipient: r, At: t0, StatusCode: 503, Status: dip.StatusRetriesExhausted, Error: "gone", Failure: true},
		{Seq: res[1].Seq, Recipient: r, At: t0, StatusCode: 201, Status: dip.StatusDelivered},
		{Seq: res[0].Seq, Recipient: other, At: t0, StatusCode: 503, Status: dip.StatusRetriesExhausted, Error: "gone", Failure: true},
	}, 0))
	dead, err := s.Deliveries(ctx(), r, dip.StatusRetriesExhausted, 10)
	must(t, err)
	if len(dead) != 1 || dead[0].Seq != res[0].Seq || dead[0].Attempts != 1 || dead[0].LastError != "gone" {
		t.Fatalf("dead letters: %+v", dead)
	}
	if ds := claim(t, s, t0.Add(time.Hour), r); len(ds) != 0 {
		t.Errorf("exhausted delivery claimed: %v", seqs(ds))
	}
	n, err := s.Requeue(ctx(), r, []int64{res[0].Seq, res[1].Seq}, t0.Add(time.Hour))
	must(t, err)
	if n != 2 {
		t.Errorf("requeued %d, want 2", n)
	}
	if ds := claim(t, s, t0.Add(time.Hour), r); !slices.Equal(seqs(ds), []int64{res[0].Seq, res[1].Seq}) {
		t.Errorf("after requeue claimed %v", seqs(ds))
	}
	if ds := claim(t, s, t0.Add(time.Hour), other); len(ds) != 0 {
		t.Errorf("%s's requeue made %s's dead letter due: claimed %v", r, other, seqs(ds))
	}
	if dead, err := s.Deliveries(ctx(), other, dip.StatusRetriesExhausted, 10); err != nil || len(dead) != 1 || dead[0].Seq != res[0].Seq {
		t.Errorf("%s's dead letters after %s's requeue: %+v %v", other, r, dead, err)
	}
}

func testJournal(t *testing.T, s dip.Store) {
	const r = "1800000001"
	m := msg("1200000001", "S-1", "1200023305967", t0, r)
	m.Recipients = append(m.Recipients, dip.Recipient{DIPID: "2300000001", Role: "SUP", Route: dip.Secondary})
	res := accept(t, s, m)
	must(t, s.Complete(ctx(), []dip.Attempt{
		{Seq: res[0].Seq, Recipient: r, At: t0.Add(time.Second), Duration: 20 * time.Millisecond, StatusCode: 500, Status: dip.StatusRetrying, Failure: true, Next: t0.Add(3 * time.Second)},
	}, 0))
	must(t, s.Complete(ctx(), []dip.Attempt{
		{Seq: res[0].Seq, Recipient: r, At: t0.Add(4 * time.Second), Duration: 10 * time.Millisecond, StatusCode: 201, Status: dip.StatusDelivered},
	}, 0))
	rec, err := s.Journal(ctx(), "1200000001", "S-1")
	must(t, err)
	var got []string
	for _, e := range rec.Entries {
		got = append(got, e.Stage+"/"+e.Status+"/"+e.Recipient)
	}
	want := []string{"Inbound/GoodToGo/", "Addressing/SentToTopic/", "Outbound/Retrying/1800000001", "Outbound/Delivered/1800000001"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
	if rec.Entries[1].Reason != "Primary:[];Secondary:[SUP:2300000001];Always:[MDS:1800000001]" {
		t.Errorf("recipient map %q", rec.Entries[1].Reason)
	}
	if rec.Message.TransactionID != m.TransactionID || rec.Message.MPAN != m.MPAN {
		t.Errorf("journal message %+v", rec.Message)
	}
	must(t, s.Reject(ctx(), []dip.Rejection{{SenderDIPID: "1200000001", SenderUniqueReference: "S-9", Channel: "IF-021", EventCode: "[ActivePower]", At: t0, Code: "MSG1001", Reason: "bad"}}))
	rej, err := s.Journal(ctx(), "1200000001", "S-9")
	must(t, err)
	if !rej.Rejected || len(rej.Entries) != 1 || rej.Entries[0].Status != "InboundRuleFailure" {
		t.Errorf("rejected journal %+v", rej)
	}
	if _, err := s.Journal(ctx(), "1200000001", "S-404"); err != dip.ErrNotFound {
		t.Errorf("unknown reference: %v", err)
	}
}

func testReplay(t *testing.T, s dip.Store) {
	const r = "1800000001"
	var all []int64
	for i := 0; i < 7; i++ {
		m := msg("1200000001", fmt.Sprintf("S-%d", i), "1200023305967", t0.Add(time.Duration(i)*time.Hour), r)
		if i == 3 {
			m.MPAN = "1100000000017"
		}
		all = append(all, accept(t, s, m)[0].Seq)
	}
	accept(t, s, msg("1200000001", "S-other", "", t0, "1900000001"))
	var got []int64
	q := dip.ReplayQuery{Channel: "IF-021", Recipient: r, Limit: 3}
	for pages := 0; ; pages++ {
		ms, more, err := s.Replay(ctx(), q)
		must(t, err)
		for _, m := range ms {
			got = append(got, m.Seq)
			if len(m.Body) == 0 {
				t.Error("replayed message without body")
			}
		}
		if !more {
			if pages != 2 {
				t.Errorf("%d pages, want 3", pages+1)
			}
			break
		}
		q.AfterSeq = ms[len(ms)-1].Seq
	}
	if diff := cmp.Diff(all, got); diff != "" {
		t.Errorf("replay (-want +got):\n%s", diff)
	}
	ms, _, err := s.Replay(ctx(), dip.ReplayQuery{Channel: "IF-021", Recipient: r, From: t0.Add(2 * time.Hour), To: t0.Add(4 * time.Hour), MPAN: "1200023305967", Limit: 10})
	must(t, err)
	if len(ms) != 2 || ms[0].Seq != all[2] || ms[1].Seq != all[4] {
		t.Errorf("filtered replay: %v", ms)
	}
}

func testPurge(t *testing.T, s dip.Store) {
	const r = "1800000001"
	res := accept(t, s, msg("1200000001", "S-1", "", t0, r), msg("1200000001", "S-2", "", t0, r), msg("1200000001", "S-3", "", t0.Add(48*time.Hour), r))
	must(t, s.Complete(ctx(), []dip.Attempt{{Seq: res[0].Seq, Recipient: r, At: t0, StatusCode: 201, Status: dip.StatusDelivered}}, 0))
	n, err := s.Purge(ctx(), t0.Add(24*time.Hour))
	must(t, err)
	if n != 1 {
		t.Errorf("purged %d, want 1 (S-2 is undelivered, S-3 is new)", n)
	}
	if _, err := s.Journal(ctx(), "1200000001", "S-1"); err != dip.ErrNotFound {
		t.Errorf("purged message still in journal: %v", err)
	}
	if _, err := s.Journal(ctx(), "1200000001", "S-2"); err != nil {
		t.Errorf("undelivered message purged: %v", err)
	}
}

func testConcurrentAcceptors(t *testing.T, s dip.Store) {
	const workers, per = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				if _, err := s.Accept(ctx(), []*dip.Message{msg("1200000001", fmt.Sprintf("S-%d-%d", w, i), "", t0, "1800000001")}); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	ms, _, err := s.Replay(ctx(), dip.ReplayQuery{Channel: "IF-021", Recipient: "1800000001", Limit: 1000})
	must(t, err)
	if len(ms) != workers*per {
		t.Errorf("%d messages stored, want %d", len(ms), workers*per)
	}
}

// testTwoProcesses: two store handles on one database claim disjoint sets.
func testTwoProcesses(t *testing.T, a, b dip.Store) {
	const r = "1800000001"
	var ms []*dip.Message
	for i := 0; i < 200; i++ {
		ms = append(ms, msg("1200000001", fmt.Sprintf("S-%d", i), "", t0, r))
	}
	accept(t, a, ms...)
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for _, s := range []struct {
		name  string
		store dip.Store
	}{{"a", a}, {"b", b}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ds, err := s.store.ClaimDue(ctx(), dip.ClaimQuery{Now: t0, Limit: 7, Owner: s.name, Lease: time.Minute, Targets: []dip.Target{{Recipient: r}}})
				if err != nil {
					t.Error(err)
					return
				}
				if len(ds) == 0 {
					return
				}
				mu.Lock()
				for _, d := range ds {
					if prev, dup := seen[d.Seq]; dup {
						t.Errorf("seq %d claimed by %s and %s", d.Seq, prev, s.name)
					}
					seen[d.Seq] = s.name
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 200 {
		t.Errorf("claimed %d of 200", len(seen))
	}
}

// testRequeueJobs: at most one job Processing per recipient and channel; an
// abandoned one gives way and ends; progress and ends are kept; purge
// removes old jobs.
func testRequeueJobs(t *testing.T, s dip.Store) {
	const r = "1800000001"
	job := func(id, channel string, at time.Time) dip.RequeueJob {
		return dip.RequeueJob{ID: id, Recipient: r, Channel: channel, Started: at}
	}
	a, err := s.StartRequeue(ctx(), job("RQ-a", "IF-021", t0))
	must(t, err)
	if want := (dip.RequeueJob{ID: "RQ-a", Recipient: r, Channel: "IF-021", Status: dip.RequeueProcessing, Started: t0, Updated: t0}); a != want {
		t.Fatalf("started %+v, want %+v", a, want)
	}
	running, err := s.StartRequeue(ctx(), job("RQ-b", "IF-021", t0.Add(time.Second)))
	if !errors.Is(err, dip.ErrRequeueRunning) || running.ID != "RQ-a" {
		t.Fatalf("second job on the channel: %+v, %v; want RQ-a running", running, err)
	}
	if _, err := s.StartRequeue(ctx(), job("RQ-c", "IF-022", t0.Add(time.Second))); err != nil {
		t.Fatalf("a job on another channel: %v", err)
	}
	a.Total, a.Processed, a.Updated = 10, 4, t0.Add(10*time.Second)
	must(t, s.UpdateRequeue(ctx(), a))
	// No progress for RequeueStaleAfter: RQ-a was abandoned.
	later := a.Updated.Add(dip.RequeueStaleAfter)
	d, err := s.StartRequeue(ctx(), job("RQ-d", "IF-021", later))
	if err != nil {
		t.Fatalf("a job after an abandoned one: %v", err)
	}
	jobs, err := s.RequeueJobs(ctx(), r, "IF-021", "")
	must(t, err)
	ended := a
	ended.Status = dip.RequeuePartial
	if diff := cmp.Diff([]dip.RequeueJob{ended, d}, jobs); diff != "" {
		t.Errorf("jobs on IF-021 (-want +got):\n%s", diff)
	}
	d.Status, d.Total, d.Processed, d.Updated = dip.RequeueCompleted, 3, 3, later.Add(time.Second)
	must(t, s.UpdateRequeue(ctx(), d))
	jobs, err = s.RequeueJobs(ctx(), r, "IF-021", "RQ-d")
	must(t, err)
	if diff := cmp.Diff([]dip.RequeueJob{d}, jobs); diff != "" {
		t.Errorf("job RQ-d (-want +got):\n%s", diff)
	}
	if err := s.UpdateRequeue(ctx(), job("RQ-unknown", "IF-021", t0)); !errors.Is(err, dip.ErrNotFound) {
		t.Errorf("update of an unknown job: %v, want ErrNotFound", err)
	}
	_, err = s.Purge(ctx(), d.Updated)
	must(t, err)
	jobs, err = s.RequeueJobs(ctx(), r, "IF-021", "")
	must(t, err)
	if len(jobs) != 1 || jobs[0].ID != "RQ-d" {
		t.Errorf("after a purge up to RQ-d's end: %+v, want RQ-d only", jobs)
	}
}

// testTwoProcessesStartOneRequeue: hubs sharing a database that start a
// requeue for one recipient and channel at once start one between them.
func testTwoProcessesStartOneRequeue(t *testing.T, a, b dip.Store) {
	const n = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		started []string
		running = map[string]bool{}
	)
	for i := range n {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			j, err := s.StartRequeue(ctx(), dip.RequeueJob{ID: fmt.Sprintf("RQ-%d", i), Recipient: "1800000001", Channel: "IF-021", Started: t0})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				started = append(started, j.ID)
			case errors.Is(err, dip.ErrRequeueRunning):
				running[j.ID] = true
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(started) != 1 {
		t.Fatalf("started %v, want exactly one", started)
	}
	delete(running, started[0])
	if len(running) != 0 {
		t.Errorf("refused starts named %v as running, not %s", running, started[0])
	}
}

// testQueues: a store reports each recipient's undelivered messages and the
// oldest's acceptance; a delivered message leaves the queue.
func testQueues(t *testing.T, s dip.Store) {
	q, ok := s.(dip.QueueStater)
	if !ok {
		t.Skip("the store does not report queues")
	}
	res := accept(t, s, msg("1200000001", "S-1", "1200023305967", t0, "1800000001", "1900000001"),
		msg("1200000001", "S-2", "", t0.Add(time.Minute), "1800000001"))
	must(t, s.Complete(ctx(), []dip.Attempt{{Seq: res[0].Seq, Recipient: "1900000001", At: t0, StatusCode: 201, Status: dip.StatusDelivered}}, 0))
	got, err := q.Queues(ctx())
	must(t, err)
	want := []dip.QueueStat{{Recipient: "1800000001", Pending: 2, Oldest: t0}}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("queues (-want +got):\n%s", diff)
	}
}

// startAs does what a hub starting as owner does to its store before it
// claims (dip.Hub.Run): it releases what the store lets a starting process
// release, and returns how many claims an OwnerReleaser released.
func startAs(t *testing.T, s dip.Store, owner string) int {
	t.Helper()
	if r, ok := s.(dip.HeldReleaser); ok {
		must(t, r.ReleaseHeld(ctx()))
	}
	if r, ok := s.(dip.OwnerReleaser); ok {
		n, err := r.ReleaseOwner(ctx(), owner)
		must(t, err)
		return n
	}
	return 0
}

func claimAs(t *testing.T, s dip.Store, owner string, now time.Time, recips ...string) []dip.Delivery {
	t.Helper()
	var targets []dip.Target
	for _, r := range recips {
		targets = append(targets, dip.Target{Recipient: r})
	}
	ds, err := s.ClaimDue(ctx(), dip.ClaimQuery{Now: now, Limit: 100, Owner: owner, Lease: time.Minute, Targets: targets})
	must(t, err)
	return ds
}

// testClaimTakeover: a process that ends holding claims (a crash: its
// store is closed, its claims stay) and starts again as the same owner
// claims them again at once, long before their lease runs out. On a store
// that hubs share (dip.OwnerReleaser), the claims of a process still
// running as the same owner (started by mistake) and of another owner that
// ended wait for their lease. An embedded store has one hub, which releases
// every claim it finds (dip.HeldReleaser).
func testClaimTakeover(t *testing.T, open Opener, shared Shared) {
	const r, r2, r3 = "1800000001", "1900000001", "2300000001"
	a := open(t)
	res := accept(t, a,
		msg("1200000001", "S-1", "1200023305967", t0, r), msg("1200000001", "S-2", "1200023305967", t0, r),
		msg("1200000001", "S-3", "", t0, r2), msg("1200000001", "S-4", "", t0, r3))
	startAs(t, a, "proc-a")
	if got := seqs(claimAs(t, a, "proc-a", t0, r)); !slices.Equal(got, []int64{res[0].Seq}) {
		t.Fatalf("proc-a claimed %v, want S-1 (%d)", got, res[0].Seq)
	}
	_, sharedStore := a.(dip.OwnerReleaser)
	if sharedStore {
		twin := shared(t) // a second process started as proc-a while a runs
		if n := startAs(t, twin, "proc-a"); n != 0 {
			t.Errorf("a second process started as proc-a released %d claims of the running one", n)
		}
		if got := seqs(claimAs(t, twin, "proc-a", t0.Add(time.Second), r, r2)); !slices.Equal(got, []int64{res[2].Seq}) {
			t.Errorf("the second proc-a claimed %v, want S-3 (%d) only: S-1 is held by the running proc-a", got, res[2].Seq)
		}
		other := shared(t) // another process, which ends holding a claim
		startAs(t, other, "proc-c")
		if got := seqs(claimAs(t, other, "proc-c", t0, r3)); !slices.Equal(got, []int64{res[3].Seq}) {
			t.Fatalf("proc-c claimed %v, want S-4 (%d)", got, res[3].Seq)
		}
		must(t, other.Close())
	}
	must(t, a.Close()) // proc-a ends holding S-1

	b := shared(t) // proc-a again
	n := startAs(t, b, "proc-a")
	got := seqs(claimAs(t, b, "proc-a", t0.Add(time.Second), r, r2, r3))
	want := []int64{res[0].Seq, res[2].Seq, res[3].Seq} // one hub: everything it finds is its own
	if sharedStore {
		// S-3: the running twin's; S-4: proc-c's, which waits for its lease.
		want = []int64{res[0].Seq}
		if n != 1 {
			t.Errorf("the restarted proc-a released %d claims, want 1 (S-1)", n)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("the restarted proc-a claimed %v a second after the crash, want %v (S-1 at once, not after its lease)", got, want)
	}
	if sharedStore {
		// Once their leases have run out, the others' claims are free.
		if got := seqs(claimAs(t, b, "proc-a", t0.Add(2*time.Minute), r2, r3)); !slices.Equal(got, []int64{res[2].Seq, res[3].Seq}) {
			t.Errorf("after the leases claimed %v, want S-3 and S-4", got)
		}
	}
}

// testLoadParties: a bulk load adds the MPANs the table lacks, with their
// pending changes, and leaves alone one a registration message set.
func testLoadParties(t *testing.T, s dip.Store) {
	l, ok := s.(dip.PartiesLoader)
	if !ok {
		t.Skip("the store does not load parties")
	}
	m := msg("1200000001", "S-1", "1200023305967", t0)
	m.UpdateParties = func(p *dip.Parties) bool { p.Supplier = "2300000001"; return true }
	accept(t, s, m)
	later := dip.PartyChange{From: t0.Add(72 * time.Hour), Role: dip.PartySupplier, DIPID: "2300000003"}
	n, err := l.LoadParties(ctx(), []dip.Parties{
		{MPAN: "1200023305967", Supplier: "2300000009"},
		{MPAN: "1100000000017", Supplier: "2300000002", DataService: "2100000001", MeteringService: "2200000001", MDR: "2400000001", Pending: []dip.PartyChange{later}},
	}, t0)
	must(t, err)
	if n != 1 {
		t.Errorf("LoadParties added %d MPANs, want 1 (the other is known from a message)", n)
	}
	got, err := s.Parties(ctx(), []string{"1200023305967", "1100000000017"})
	must(t, err)
	want := map[string]dip.Parties{
		"1200023305967": {MPAN: "1200023305967", Supplier: "2300000001"},
		"1100000000017": {MPAN: "1100000000017", Supplier: "2300000002", DataService: "2100000001", MeteringService: "2200000001", MDR: "2400000001", Pending: []dip.PartyChange{later}},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("parties after the load (-want +got):\n%s", diff)
	}
}
