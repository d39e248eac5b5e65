package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mhhs/mhhs/internal/dip"
)

// Runs: a claim with ClaimQuery.Run > 1 takes a recipient's consecutive
// undelivered deliveries for one MPAN on one channel together, so that the
// hub posts them in one POST, in order.

func claimRun(t *testing.T, s dip.Store, owner string, now time.Time, run, limit int, recips ...string) []dip.Delivery {
	t.Helper()
	var targets []dip.Target
	for _, r := range recips {
		targets = append(targets, dip.Target{Recipient: r})
	}
	ds, err := s.ClaimDue(ctx(), dip.ClaimQuery{Now: now, Limit: limit, Owner: owner, Lease: time.Minute, Targets: targets, Run: run})
	must(t, err)
	return ds
}

// testClaimRuns: a claim takes, for each recipient, channel and MPAN, the
// first undelivered delivery and those that follow it, in seq order, up to
// Run; messages without an MPAN each on their own. What follows a run waits
// until the run is delivered. Limit cuts a run short, never leaves a gap.
func testClaimRuns(t *testing.T, s dip.Store) {
	const r, r2 = "1800000001", "1900000001"
	const x, y = "1200023305967", "1100000000017"
	m := func(sur, mpan, recip string) *dip.Message { return msg("1200000001", sur, mpan, t0, recip) }
	res := accept(t, s, m("X1", x, r), m("X2", x, r), m("Y1", y, r), m("X3", x, r), m("N1", "", r), m("X4", x, r), m("Y2", y, r),
		m("Z1", x, r2), m("Z2", x, r2), m("Z3", x, r2))
	seq := map[string]int64{}
	for i, sur := range []string{"X1", "X2", "Y1", "X3", "N1", "X4", "Y2", "Z1", "Z2", "Z3"} {
		seq[sur] = res[i].Seq
	}
	of := func(surs ...string) []int64 {
		var out []int64
		for _, s := range surs {
			out = append(out, seq[s])
		}
		return out
	}
	if diff := cmp.Diff(of("X1", "X2", "Y1", "X3", "N1", "Y2"), seqs(claimRun(t, s, "a", t0, 3, 100, r))); diff != "" {
		t.Errorf("runs of 3 (-want +got):\n%s", diff)
	}
	if got := seqs(claimRun(t, s, "b", t0, 3, 100, r)); len(got) != 0 {
		t.Errorf("claimed %v while X1..X3 are claimed and undelivered: X4 must wait for them", got)
	}
	var done []dip.Attempt
	for _, sur := range []string{"X1", "X2", "X3"} {
		done = append(done, dip.Attempt{Seq: seq[sur], Recipient: r, At: t0, StatusCode: 201, Status: dip.StatusDelivered})
	}
	must(t, s.Complete(ctx(), done, 0))
	if diff := cmp.Diff(of("X4"), seqs(claimRun(t, s, "b", t0, 3, 100, r))); diff != "" {
		t.Errorf("after X1..X3 were delivered (-want +got):\n%s", diff)
	}
	// A limit of 2 cuts r2's run after Z2; Z3 waits for it.
	if diff := cmp.Diff(of("Z1", "Z2"), seqs(claimRun(t, s, "a", t0, 5, 2, r2))); diff != "" {
		t.Errorf("a run of 5 with a limit of 2 (-want +got):\n%s", diff)
	}
	if got := seqs(claimRun(t, s, "b", t0, 5, 2, r2)); len(got) != 0 {
		t.Errorf("claimed %v while Z1 and Z2 are claimed: Z3 must wait for them", got)
	}
}

// testRunRetriedInOrder: a run that failed is retried from its first
// delivery. A later delivery whose retry falls due first does not overtake
// it: nothing of the MPAN is claimed until the first is due, and the run
// ends before the first delivery that is not due yet, even if one after it
// is.
func testRunRetriedInOrder(t *testing.T, s dip.Store) {
	const r, x = "1800000001", "1200023305967"
	res := accept(t, s, msg("1200000001", "X1", x, t0, r), msg("1200000001", "X2", x, t0, r), msg("1200000001", "X3", x, t0, r),
		msg("1200000001", "X4", x, t0, r))
	x1, x2, x3, x4 := res[0].Seq, res[1].Seq, res[2].Seq, res[3].Seq
	if got := seqs(claimRun(t, s, "a", t0, 4, 100, r)); !slices.Equal(got, []int64{x1, x2, x3, x4}) {
		t.Fatalf("claimed %v, want the run X1..X4", got)
	}
	retry := func(seq int64, after time.Duration) dip.Attempt {
		return dip.Attempt{Seq: seq, Recipient: r, At: t0, StatusCode: 500, Status: dip.StatusRetrying, Error: "boom", Next: t0.Add(after), Failure: true}
	}
	must(t, s.Complete(ctx(), []dip.Attempt{retry(x1, 10*time.Second), retry(x2, 5*time.Second), retry(x3, 20*time.Second), retry(x4, 5*time.Second)}, 0))
	if got := seqs(claimRun(t, s, "a", t0.Add(6*time.Second), 4, 100, r)); len(got) != 0 {
		t.Errorf("claimed %v at +6 s: X2 and X4 are due but X1 is not, and they must not overtake it", got)
	}
	if got := seqs(claimRun(t, s, "a", t0.Add(11*time.Second), 4, 100, r)); !slices.Equal(got, []int64{x1, x2}) {
		t.Errorf("claimed %v at +11 s, want X1 and X2 (X3 is not due: the run ends before it, and X4 waits behind it)", got)
	}
	if got := seqs(claimRun(t, s, "b", t0.Add(21*time.Second), 4, 100, r)); len(got) != 0 {
		t.Errorf("claimed %v at +21 s while X1 and X2 are claimed: X3 and X4 must wait for them", got)
	}
	// The recipient rejected X1 and took X2: both are final, X3 and X4 go.
	must(t, s.Complete(ctx(), []dip.Attempt{
		{Seq: x1, Recipient: r, At: t0.Add(12 * time.Second), StatusCode: 207, Status: dip.StatusRejectedByRecipient},
		{Seq: x2, Recipient: r, At: t0.Add(12 * time.Second), StatusCode: 207, Status: dip.StatusDelivered},
	}, 0))
	if got := seqs(claimRun(t, s, "b", t0.Add(21*time.Second), 4, 100, r)); !slices.Equal(got, []int64{x3, x4}) {
		t.Errorf("claimed %v once X1 and X2 were final, want X3 and X4", got)
	}
}

// post is one POST the fake recipient of testHubPostsRunsInOrder received.
type post struct {
	surs    []string
	outcome string // "500", "207", "201"
}

// orderedRecipient is a fake webhook recipient that checks per-MPAN order
// as a recipient sees it: a message is accepted or rejected only after
// every earlier message of its MPAN was (or earlier in the same POST). It
// fails the first POST holding failFirst and, the next time, rejects that
// message in a 207 and accepts the rest.
type orderedRecipient struct {
	t         *testing.T
	mpanOf    map[string]string // sur -> MPAN
	order     map[string][]string
	failFirst string

	mu    sync.Mutex
	final map[string]bool
	seen  int // POSTs holding failFirst
	posts []post
}

func (o *orderedRecipient) Deliver(_ context.Context, _ dip.Endpoint, body []byte) dip.Result {
	var items []struct {
		Payload struct {
			CustomBlock struct {
				Sur string `json:"sur"`
			} `json:"CustomBlock"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(body, &items); err != nil {
		o.t.Errorf("not an egress array: %s", body)
		return dip.Result{Outcome: dip.Failed, StatusCode: 500}
	}
	surs := make([]string, len(items))
	for i, it := range items {
		surs[i] = it.Payload.CustomBlock.Sur
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	res := dip.Result{Outcome: dip.Delivered, StatusCode: 201}
	if slices.Contains(surs, o.failFirst) {
		if o.seen++; o.seen == 1 {
			o.posts = append(o.posts, post{surs, "500"})
			return dip.Result{Outcome: dip.Failed, StatusCode: 500, Err: "boom"}
		}
		res = dip.Result{Outcome: dip.PartiallyRejected, StatusCode: 207, PerMessage: make([]bool, len(surs))}
		for i, s := range surs {
			res.PerMessage[i] = s != o.failFirst
		}
	}
	o.posts = append(o.posts, post{surs, fmt.Sprint(res.StatusCode)})
	for _, s := range surs {
		for _, earlier := range o.order[o.mpanOf[s]] {
			if earlier == s {
				break
			}
			if !o.final[earlier] {
				o.t.Errorf("%s reached the recipient before %s, earlier on its MPAN, was delivered or rejected (POST %v)", s, earlier, surs)
			}
		}
		o.final[s] = true
	}
	return res
}

// testHubPostsRunsInOrder runs a hub over the store (a fake clock, one
// delivery round at a time, the next when the oldest retry is due) with a
// webhook recipient that takes 3 messages a POST. Two MPANs' messages, interleaved, go a run of each MPAN per POST
// (never a run split over two POSTs of a round, which could be answered out
// of order); a POST that fails is retried from its first message, and a
// 207 that rejects the first message lets the rest through, since each is
// then final. The recipient never sees a message before an earlier one of
// its MPAN has been accepted or rejected.
func testHubPostsRunsInOrder(t *testing.T, s dip.Store) {
	const sender, r = "1200000001", "1800000001"
	const a, b = "1200023305967", "1100000000017"
	must(t, s.PutParticipant(ctx(), dip.Participant{DIPID: sender, Roles: []string{"SDS"}, Created: t0}))
	must(t, s.PutParticipant(ctx(), dip.Participant{DIPID: r, Roles: []string{"MDS"}, Created: t0}))
	must(t, s.PutWebhook(ctx(), dip.Webhook{Channel: "IF-021", Recipient: r, CallbackURL: "https://mds.example/if021"}))
	fake := &orderedRecipient{t: t, mpanOf: map[string]string{}, order: map[string][]string{}, failFirst: "A0", final: map[string]bool{}}
	var ms []*dip.Message
	for _, sur := range []string{"A0", "B0", "A1", "B1", "A2", "B2", "A3", "A4"} {
		mpan := a
		if sur[0] == 'B' {
			mpan = b
		}
		fake.mpanOf[sur] = mpan
		fake.order[mpan] = append(fake.order[mpan], sur)
		ms = append(ms, msg(sender, sur, mpan, t0, r))
	}
	accept(t, s, ms...)
	now := t0.Add(time.Second)
	hub := dip.NewHub(s, dip.Config{Webhooks: fake, BatchSize: 3, Owner: "hub", Now: func() time.Time { return now }})
	must(t, hub.Refresh(ctx()))
	for range 10 {
		n, err := hub.DeliverOnce(ctx())
		must(t, err)
		waiting, err := s.Deliveries(ctx(), r, dip.StatusRetrying, 100)
		must(t, err)
		if n == 0 && len(waiting) == 0 {
			break
		}
		// The next round runs when the oldest retry falls due: the whole
		// failed run with it, since a batch's retries are due together.
		now = now.Add(time.Millisecond)
		if len(waiting) > 0 {
			now = waiting[0].NextAttempt
		}
	}
	var got []string
	for _, p := range fake.posts {
		got = append(got, strings.Join(p.surs, " ")+": "+p.outcome)
	}
	// The first round's two POSTs may come in either order.
	if len(got) > 1 && strings.HasPrefix(got[0], "B") {
		got[0], got[1] = got[1], got[0]
	}
	want := []string{"A0 A1 A2: 500", "B0 B1 B2: 201", "A0 A1 A2: 207", "A3 A4: 201"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("POSTs (-want +got):\n%s", diff)
	}
	rec, err := s.Journal(ctx(), sender, "A0")
	must(t, err)
	if last := rec.Entries[len(rec.Entries)-1]; last.Status != string(dip.StatusRejectedByRecipient) {
		t.Errorf("A0 ends %s, want RejectedByRecipient (rejected in a 207, not retried)", last.Status)
	}
	for _, sur := range []string{"B0", "A1", "A4"} {
		rec, err := s.Journal(ctx(), sender, sur)
		must(t, err)
		if last := rec.Entries[len(rec.Entries)-1]; last.Status != string(dip.StatusDelivered) {
			t.Errorf("%s ends %s, want Delivered", sur, last.Status)
		}
	}
}

// testTwoProcessesClaimRunsInOrder: two processes claim runs of a few
// MPANs' messages at once and deliver each run as soon as they claim it:
// each MPAN's runs, in the order they were claimed, are its messages in seq
// order, each claimed once.
func testTwoProcessesClaimRunsInOrder(t *testing.T, a, b dip.Store) {
	const r = "1800000001"
	mpans := []string{"1200023305967", "1100000000017", "1300000000026"}
	var ms []*dip.Message
	for i := range 150 {
		ms = append(ms, msg("1200000001", fmt.Sprintf("S-%d", i), mpans[i%len(mpans)], t0, r))
	}
	res := accept(t, a, ms...)
	want := map[string][]int64{}
	for i, m := range ms {
		want[m.MPAN] = append(want[m.MPAN], res[i].Seq)
	}
	var mu sync.Mutex
	got := map[string][]int64{}
	var wg sync.WaitGroup
	for _, p := range []struct {
		name  string
		store dip.Store
	}{{"a", a}, {"b", b}} {
		wg.Go(func() {
			for {
				ds, err := p.store.ClaimDue(ctx(), dip.ClaimQuery{Now: t0, Limit: 7, Owner: p.name, Lease: time.Minute, Targets: []dip.Target{{Recipient: r}}, Run: 4})
				if err != nil {
					t.Error(err)
					return
				}
				if len(ds) == 0 {
					return
				}
				mu.Lock()
				var done []dip.Attempt
				for _, d := range ds {
					got[d.MPAN] = append(got[d.MPAN], d.Seq)
					done = append(done, dip.Attempt{Seq: d.Seq, Recipient: r, At: t0, StatusCode: 201, Status: dip.StatusDelivered})
				}
				mu.Unlock()
				if err := p.store.Complete(ctx(), done, 0); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("each MPAN's deliveries in claim order (-want +got):\n%s", diff)
	}
}
