package dip_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/participant"
)

// webhooks is the hub's Deliverer in the webhook tests: it records each
// POST and answers with answer (nil: 201).
type webhooks struct {
	mu     sync.Mutex
	posts  []post
	answer func(to dip.Endpoint, n int) dip.Result
}

type post struct {
	To   dip.Endpoint
	Body []byte
}

func (w *webhooks) Deliver(ctx context.Context, to dip.Endpoint, body []byte) dip.Result {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.posts = append(w.posts, post{to, body})
	var items []json.RawMessage
	json.Unmarshal(body, &items)
	if w.answer != nil {
		return w.answer(to, len(items))
	}
	return dip.Result{Outcome: dip.Delivered, StatusCode: 201}
}

func (w *webhooks) setAnswer(f func(to dip.Endpoint, n int) dip.Result) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.answer = f
}

// to returns the POSTs to a recipient on a channel.
func (w *webhooks) to(recipient, channel string) []post {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []post
	for _, p := range w.posts {
		if p.To.Recipient == recipient && p.To.Channel == channel {
			out = append(out, p)
		}
	}
	return out
}

// payloads returns the transaction ids of a DIPMessageEgressArray.
func payloads(t *testing.T, body []byte) []string {
	t.Helper()
	var items []struct {
		Payload struct {
			CommonBlock struct {
				D0 struct{ TransactionID string }
			}
		}
	}
	if err := json.Unmarshal(body, &items); err != nil {
		t.Fatalf("egress array %s: %v", body, err)
	}
	var out []string
	for _, it := range items {
		out = append(out, it.Payload.CommonBlock.D0.TransactionID)
	}
	return out
}

// TestWebhookDelivery: a recipient with a webhook for a channel gets its
// messages POSTed there as a DIPMessageEgressArray, the hub records the
// answer per message (201, 207 per message, 4xx rejected, 5xx retried);
// a recipient with no webhook on a channel is not attempted and its
// messages wait; RemoveWebhook stops deliveries, SetWebhook resumes them.
func TestWebhookDelivery(t *testing.T) {
	wh := &webhooks{}
	policy := dip.RetryPolicy{MaxAttempts: 10, BaseDelay: time.Second, MaxDelay: time.Second}
	hubTest(t, dip.Config{Services: []dip.LocalService{}, Webhooks: wh, Retry: policy}, func(t *testing.T, th *testHub) {
		const url = "https://mds.example/dip/IF-021"
		if err := th.hub.SetWebhook(th.ctx, dip.Webhook{Channel: "IF-021", Recipient: mds, CallbackURL: url}); err != nil {
			t.Fatal(err)
		}
		if w, ok := th.hub.Webhook("IF-021", mds); !ok || w.CallbackURL != url {
			t.Fatalf("Webhook: %+v %v", w, ok)
		}
		a := th.accept(dsX, "IF-021", if021(t, "w1", testMPAN))
		th.settle()
		posts := wh.to(mds, "IF-021")
		if len(posts) != 1 || posts[0].To != (dip.Endpoint{Recipient: mds, Channel: "IF-021", CallbackURL: url}) {
			t.Fatalf("POSTs %+v", posts)
		}
		if txs := payloads(t, posts[0].Body); !slices.Equal(txs, []string{a.TransactionID}) {
			t.Errorf("POSTed %v", txs)
		}
		if len(wh.posts) != 1 {
			t.Errorf("POSTs to recipients with no webhook: %+v", wh.posts)
		}
		if ds := th.deliveries(lss, dip.StatusPending); len(ds) != 1 || ds[0].Attempts != 0 {
			t.Errorf("LSS, with no webhook: %+v, want one Pending, not attempted", ds)
		}

		// 207: the second message of the batch is rejected, the first
		// delivered.
		wh.setAnswer(func(to dip.Endpoint, n int) dip.Result {
			return dip.Result{Outcome: dip.PartiallyRejected, StatusCode: 207, PerMessage: []bool{true, false}[:n]}
		})
		items := th.submit(dsX, "IF-021", if021(t, "w2", testMPAN), if021(t, "w3", otherMPAN))
		th.settle()
		if posts := wh.to(mds, "IF-021"); len(posts) != 2 || !slices.Equal(payloads(t, posts[1].Body), []string{items[0].TransactionID, items[1].TransactionID}) {
			t.Fatalf("POSTs %+v, want the two messages in one", posts)
		}
		if got := statuses(th.outbound(dsX, ref("IF-021", dsX, "SDS", "w2"), mds)); !slices.Equal(got, []string{"Delivered"}) {
			t.Errorf("first of the 207: %v", got)
		}
		if got := th.outbound(dsX, ref("IF-021", dsX, "SDS", "w3"), mds); len(got) != 1 || got[0].Status != "RejectedByRecipient" || got[0].StatusCode != 207 {
			t.Errorf("second of the 207: %+v", got)
		}

		// 503 is retried, with the status and error in the journal; 422
		// is final.
		wh.setAnswer(func(to dip.Endpoint, n int) dip.Result {
			return dip.Result{Outcome: dip.Failed, StatusCode: 503, Err: "busy"}
		})
		th.accept(dsX, "IF-021", if021(t, "w4", otherMPAN))
		th.settle()
		wh.setAnswer(func(to dip.Endpoint, n int) dip.Result {
			return dip.Result{Outcome: dip.Rejected, StatusCode: 422, Err: "no"}
		})
		th.after(time.Second)
		lines := th.outbound(dsX, ref("IF-021", dsX, "SDS", "w4"), mds)
		if len(lines) != 2 || lines[0].Status != "Retrying" || lines[0].StatusCode != 503 || lines[0].Reason != "busy" ||
			lines[1].Status != "RejectedByRecipient" || lines[1].StatusCode != 422 {
			t.Errorf("journal %+v", lines)
		}

		// No webhook, no delivery: the message waits.
		wh.setAnswer(nil)
		if err := th.hub.RemoveWebhook(th.ctx, "IF-021", mds); err != nil {
			t.Fatal(err)
		}
		if err := th.hub.RemoveWebhook(th.ctx, "IF-021", mds); err != nil {
			t.Errorf("removing a webhook that is not there: %v", err)
		}
		n := len(wh.posts)
		w5 := th.accept(dsX, "IF-021", if021(t, "w5", testMPAN))
		th.after(10 * time.Second)
		if len(wh.posts) != n {
			t.Errorf("POSTed with no webhook: %+v", wh.posts[n:])
		}
		if err := th.hub.SetWebhook(th.ctx, dip.Webhook{Channel: "IF-021", Recipient: mds, CallbackURL: url}); err != nil {
			t.Fatal(err)
		}
		th.after(time.Second)
		if posts := wh.to(mds, "IF-021"); !slices.Equal(payloads(t, posts[len(posts)-1].Body), []string{w5.TransactionID}) {
			t.Errorf("after SetWebhook: %+v", posts)
		}
	})
}

// TestSubmitStatus: a recipient's status message about a transaction it
// received goes to the message's sender on its status webhook, as a
// StandardResponseArray; one about a transaction it did not receive is
// refused (MSG3002), one naming none is a schema failure, and a body that
// is not JSON is MSG1002.
func TestSubmitStatus(t *testing.T) {
	wh := &webhooks{}
	hubTest(t, dip.Config{Services: []dip.LocalService{}, Webhooks: wh}, func(t *testing.T, th *testHub) {
		for _, w := range []dip.Webhook{
			{Channel: "IF-021", Recipient: mds, CallbackURL: "https://mds.example/IF-021"},
			{Channel: dip.StatusChannel, Recipient: dsX, CallbackURL: "https://dsx.example/status"},
		} {
			if err := th.hub.SetWebhook(th.ctx, w); err != nil {
				t.Fatal(err)
			}
		}
		a := th.accept(dsX, "IF-021", if021(t, "s1", testMPAN))
		th.settle()
		p, _ := th.hub.Participant(mds)
		status := `{"transactionID":"` + a.TransactionID + `","senderUniqueReference":"ST-1","code":"MSG0000"}`
		items, err := th.hub.SubmitStatus(th.ctx, p, []byte(`[`+status+`,{"transactionID":"T-NOT-MINE"},{"code":"x"}]`))
		if err != nil {
			t.Fatal(err)
		}
		var codes []catalogue.Code
		for _, it := range items {
			codes = append(codes, it.Code)
		}
		if want := []catalogue.Code{catalogue.MSG0000, catalogue.MSG3002, catalogue.MSG1001}; !slices.Equal(codes, want) {
			t.Errorf("codes %v, want %v (%+v)", codes, want, items)
		}
		if items[0].TransactionID != a.TransactionID || items[0].SenderUniqueReference != "ST-1" {
			t.Errorf("item %+v", items[0])
		}
		th.settle()
		posts := wh.to(dsX, dip.StatusChannel)
		if len(posts) != 1 || string(posts[0].Body) != `[`+status+`]` {
			t.Fatalf("status POSTs %+v", posts)
		}
		// The status message is not for anyone else.
		for _, id := range []string{mds, lss, ldso} {
			if got := wh.to(id, dip.StatusChannel); len(got) != 0 {
				t.Errorf("%s received the status: %+v", id, got)
			}
		}
		items, err = th.hub.SubmitStatus(th.ctx, p, []byte(`[{`))
		if err != nil || len(items) != 1 || items[0].Code != catalogue.MSG1002 {
			t.Errorf("invalid JSON: %+v %v", items, err)
		}
	})
}

// TestRequeue: StartRequeue runs a job on the hub that makes a
// recipient's messages on a channel due again; RequeueJobs reports it
// Completed with its counts, and the messages are delivered again.
func TestRequeue(t *testing.T) {
	hubTest(t, dip.Config{}, func(t *testing.T, th *testHub) {
		th.submit(dsX, "IF-021", if021(t, "q1", testMPAN), if021(t, "q2", otherMPAN))
		th.settle()
		if n := len(th.rec.to(mds)); n != 2 {
			t.Fatalf("MDS received %d", n)
		}
		job, err := th.hub.StartRequeue(th.ctx, dip.ReplayQuery{Recipient: mds, Channel: "IF-021"})
		if err != nil {
			t.Fatal(err)
		}
		if job.Status != dip.RequeueProcessing || !strings.HasPrefix(job.ID, "RQ-") || job.Recipient != mds || job.Channel != "IF-021" {
			t.Errorf("job %+v", job)
		}
		th.settle()
		jobs, err := th.hub.RequeueJobs(th.ctx, mds, "IF-021", job.ID)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("RequeueJobs: %+v %v", jobs, err)
		}
		if j := jobs[0]; j.Status != dip.RequeueCompleted || j.Total != 2 || j.Processed != 2 {
			t.Errorf("job %+v, want Completed 2 of 2", j)
		}
		if n := len(th.rec.to(mds)); n != 4 {
			t.Errorf("MDS received %d after the requeue, want 4", n)
		}
		if n := len(th.rec.to(lss)); n != 2 {
			t.Errorf("LSS received %d: the requeue was for MDS only", n)
		}
		if w := th.hub.Workers(); w["requeue"] != 0 {
			t.Errorf("workers after the job: %v", w)
		}
	})
}

// TestAuthenticate: an API key names its enabled participant; an unknown
// key, no key or a disabled participant's key names none; a participant
// registered after the hub started is known at once.
func TestAuthenticate(t *testing.T) {
	hubTest(t, dip.Config{}, func(t *testing.T, th *testHub) {
		key, hash := dip.NewAPIKey()
		offKey, offHash := dip.NewAPIKey()
		for _, p := range []dip.Participant{
			{DIPID: supA, Roles: []string{"SUP"}, APIKeyHash: hash},
			{DIPID: supOff, Roles: []string{"SUP"}, APIKeyHash: offHash, Disabled: true},
		} {
			if err := th.db.PutParticipant(th.ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		// The request arrives after the registration (the hub reloads
		// unless a reload began at or after the request's arrival: in
		// the bubble the clock must move for the two to differ).
		th.after(time.Millisecond)
		if p, ok := th.hub.Authenticate(th.ctx, key); !ok || p.DIPID != supA {
			t.Errorf("Authenticate: %+v %v", p, ok)
		}
		for name, k := range map[string]string{"unknown": "not-a-key", "empty": "", "disabled": offKey} {
			if p, ok := th.hub.Authenticate(th.ctx, k); ok || p != nil {
				t.Errorf("%s key authenticated %+v", name, p)
			}
		}
		if !dip.KeyMatches(key, hash) || dip.KeyMatches(offKey, hash) {
			t.Error("KeyMatches")
		}
	})
}

// TestLocalSender: Hub.Sender is a participant's participant.Sender in
// process: verdicts for accepted, duplicate and refused messages (a
// spoofed sender is refused as over HTTP); an unknown or disabled
// participant cannot send; a participant registered after the hub started
// can.
func TestLocalSender(t *testing.T) {
	hubTest(t, dip.Config{}, func(t *testing.T, th *testHub) {
		s := th.hub.Sender(dsX)
		a, b := if021(t, "l1", testMPAN), if021(t, "l2", otherMPAN)
		vs, err := s.Send(th.ctx, "IF-021", a, b)
		if err != nil || len(vs) != 2 {
			t.Fatalf("Send: %+v %v", vs, err)
		}
		for i, v := range vs {
			if !v.Accepted() || !v.Sent() || !strings.HasPrefix(v.TransactionID, "T-IF-021-") {
				t.Errorf("verdict %d: %+v", i, v)
			}
		}
		if vs[0].SenderUniqueReference != ref("IF-021", dsX, "SDS", "l1") {
			t.Errorf("reference %q", vs[0].SenderUniqueReference)
		}
		again, err := s.Send(th.ctx, "IF-021", a)
		if err != nil || again[0].Code != catalogue.MSG3001 || again[0].Accepted() || !again[0].Sent() || again[0].TransactionID != vs[0].TransactionID {
			t.Errorf("resent: %+v %v", again, err)
		}
		forged, err := s.Send(th.ctx, "IF-021", build(t, msgOpts{Variant: "IF-021 [ActivePower]", From: dsY, Key: "l3"}))
		if err != nil || forged[0].Code != catalogue.MSG4004 || forged[0].Sent() {
			t.Errorf("forged: %+v %v", forged, err)
		}
		// SendTyped through it.
		c := catalogue.Default()
		p, _ := c.Decode(if021(t, "l4", testMPAN))
		if vs, err := participant.SendTyped(th.ctx, s, "IF-021", p); err != nil || !vs[0].Accepted() {
			t.Errorf("SendTyped: %+v %v", vs, err)
		}
		// Two payloads that make no array: one answer for the request.
		if vs, err := s.Send(th.ctx, "IF-021", []byte(`{`), []byte(`{`)); err == nil || !strings.Contains(err.Error(), "MSG1002") {
			t.Errorf("broken array: %+v %v", vs, err)
		}
		for _, id := range []string{"9999999999", supOff} {
			if _, err := th.hub.Sender(id).Send(th.ctx, "IF-021", a); !errors.Is(err, dip.ErrUnknownSender) {
				t.Errorf("Sender(%s): %v, want ErrUnknownSender", id, err)
			}
		}
		if err := th.db.PutParticipant(th.ctx, dip.Participant{DIPID: "1200000003", Roles: []string{"SDS"}}); err != nil {
			t.Fatal(err)
		}
		vs, err = th.hub.Sender("1200000003").Send(th.ctx, "IF-021", build(t, msgOpts{Variant: "IF-021 [ActivePower]", From: "1200000003", Key: "new"}))
		if err != nil || !vs[0].Accepted() {
			t.Errorf("a participant registered after start: %+v %v", vs, err)
		}
		th.settle()
		if n := len(th.rec.to(mds)); n != 4 {
			t.Errorf("MDS received %d, want 4", n)
		}
	})
}

// TestHubAccessors: what the hub reports about itself.
func TestHubAccessors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openStore(t)
		rec := &recorder{}
		th := newTestHub(t, db, db, dip.Config{Services: []dip.LocalService{rec.service(mds), rec.service(lss)}})
		if got := th.hub.LocalServices(); !slices.Equal(got, []string{mds, lss}) { // in order
			t.Errorf("LocalServices %v", got)
		}
		if th.hub.Catalogue() != catalogue.Default() {
			t.Error("Catalogue is not the default")
		}
		var sups []string
		for _, p := range th.hub.HoldersOf("SUP") {
			sups = append(sups, p.DIPID)
		}
		if !slices.Equal(sorted(sups), []string{supA, supB, supOff}) {
			t.Errorf("HoldersOf(SUP) %v", sups)
		}
		if s := th.hub.Stats(); s.Commits != 0 || s.MeanBatch != 0 {
			t.Errorf("stats before any commit %+v", s)
		}
		th.submit(dsX, "IF-021", if021(t, "st1", testMPAN), if021(t, "st2", otherMPAN))
		th.accept(dsX, "IF-021", if021(t, "st3", testMPAN))
		if s := th.hub.Stats(); s.Commits != 2 || s.Committed != 3 || s.MeanBatch != 1.5 {
			t.Errorf("stats %+v, want 2 commits of 3 messages", s)
		}
	})
}

// TestStatusToALocalServiceIsDone: a status message about a message a
// co-located service sent is recorded as delivered without calling the
// service (it takes no status messages), so it does not wait for ever.
func TestStatusToALocalServiceIsDone(t *testing.T) {
	hubTest(t, dip.Config{}, func(t *testing.T, th *testHub) {
		a := th.accept(dsX, "IF-021", if021(t, "st", testMPAN))
		th.settle()
		before := len(th.rec.to(dsX))
		p, _ := th.hub.Participant(mds)
		items, err := th.hub.SubmitStatus(th.ctx, p, []byte(`[{"transactionID":"`+a.TransactionID+`","senderUniqueReference":"ST-9"}]`))
		if err != nil || !items[0].Accepted() {
			t.Fatalf("SubmitStatus: %v %+v", err, items)
		}
		th.settle()
		if got := len(th.rec.to(dsX)); got != before {
			t.Errorf("the service was called with %d status items", got-before)
		}
		if pending := th.deliveries(dsX, dip.StatusPending); len(pending) != 0 {
			t.Errorf("the status message waits: %+v", pending)
		}
		if done := th.deliveries(dsX, dip.StatusDelivered); len(done) != 1 || done[0].Channel != dip.StatusChannel {
			t.Errorf("the status message is not recorded as done: %+v", done)
		}
	})
}
