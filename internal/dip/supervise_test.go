package dip_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/participant"
)

// TestRunLifecycle: Ready says starting before Run, nil while it runs with
// its workers, and shutting down after; a hub runs once; after shutdown
// every intake (Submit, SubmitStatus, a local Sender, StartRequeue)
// answers ErrStopped and accepts nothing.
func TestRunLifecycle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		db := openStore(t)
		h := dip.NewHub(db, dip.Config{})
		if err := h.Ready(ctx); err == nil || !strings.Contains(err.Error(), "starting") {
			t.Errorf("Ready before Run: %v", err)
		}
		if w := h.Workers(); w != nil {
			t.Errorf("workers before Run: %v", w)
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- h.Run(runCtx) }()
		synctest.Wait()
		if err := h.Ready(ctx); err != nil {
			t.Errorf("Ready while running: %v", err)
		}
		if w := h.Workers(); w["deliver"] != 1 || w["refresh"] != 1 {
			t.Errorf("workers %v", w)
		}
		// A context that ends, so that a second Run that did run would
		// return (nil) instead of blocking the test.
		again, cancelAgain := context.WithTimeout(ctx, time.Second)
		defer cancelAgain()
		if err := h.Run(again); err == nil || !strings.Contains(err.Error(), "twice") {
			t.Errorf("a second Run while the first runs: %v", err)
		}
		p, _ := h.Participant(dsX)
		m := if021(t, "late", testMPAN)
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run after cancel: %v", err)
		}
		if err := h.Ready(ctx); err == nil || !strings.Contains(err.Error(), "shutting down") {
			t.Errorf("Ready after shutdown: %v", err)
		}
		if items, err := h.Submit(ctx, p, "IF-021", dip.EgressArray([][]byte{m})); !errors.Is(err, dip.ErrStopped) || items != nil {
			t.Errorf("Submit after shutdown: %v %v", items, err)
		}
		if _, err := h.SubmitStatus(ctx, p, []byte(`[]`)); !errors.Is(err, dip.ErrStopped) {
			t.Errorf("SubmitStatus after shutdown: %v", err)
		}
		if _, err := h.Sender(dsX).Send(ctx, "IF-021", m); !errors.Is(err, dip.ErrStopped) {
			t.Errorf("Send after shutdown: %v", err)
		}
		if _, err := h.StartRequeue(ctx, dip.ReplayQuery{Recipient: mds, Channel: "IF-021"}); !errors.Is(err, dip.ErrStopped) {
			t.Errorf("StartRequeue after shutdown: %v", err)
		}
		if _, err := db.Journal(ctx, dsX, ref("IF-021", dsX, "SDS", "late")); !errors.Is(err, dip.ErrNotFound) {
			t.Errorf("a message submitted after shutdown was stored: %v", err)
		}
		after, cancelAfter := context.WithTimeout(ctx, time.Second)
		defer cancelAfter()
		if err := h.Run(after); err == nil || !strings.Contains(err.Error(), "twice") {
			t.Errorf("Run after shutdown: %v", err)
		}
	})
}

// TestRunStopsOnAFailedCommit: a group commit that fails answers its
// submission with the error and stops Run with it, at once; the hub then
// refuses intake and says why it stopped.
func TestRunStopsOnAFailedCommit(t *testing.T) {
	faultTest(t, dip.Config{}, func(t *testing.T, th *testHub, fs *faultStore) {
		fs.set(func(f *faultStore) { f.failAccept = true })
		p, _ := th.hub.Participant(dsX)
		items, err := th.hub.Submit(th.ctx, p, "IF-021", dip.EgressArray([][]byte{if021(t, "lost", testMPAN)}))
		if !errors.Is(err, errDisk) || items != nil {
			t.Fatalf("Submit: %v %v, want the commit's error", items, err)
		}
		exited, err := th.exited()
		if !exited {
			t.Fatal("Run still runs after a failed commit")
		}
		if !errors.Is(err, errDisk) || !strings.Contains(err.Error(), "group commit") {
			t.Errorf("Run returned %v", err)
		}
		th.stop()
		if err := th.hub.Ready(th.ctx); err == nil || !strings.Contains(err.Error(), "stopped") || !errors.Is(err, errDisk) {
			t.Errorf("Ready: %v", err)
		}
		if _, err := th.hub.Submit(th.ctx, p, "IF-021", dip.EgressArray([][]byte{if021(t, "after", testMPAN)})); !errors.Is(err, dip.ErrStopped) {
			t.Errorf("Submit after the failure: %v", err)
		}
		if _, err := th.db.Journal(th.ctx, dsX, ref("IF-021", dsX, "SDS", "lost")); !errors.Is(err, dip.ErrNotFound) {
			t.Errorf("journal of the failed message: %v", err)
		}
	})
}

// TestRunStopsAfterStoreFailuresInARow: delivery rides out fewer than
// MaxStoreFailures failed rounds in a row (a success resets the count)
// and stops Run with the error at the MaxStoreFailures-th.
func TestRunStopsAfterStoreFailuresInARow(t *testing.T) {
	faultTest(t, dip.Config{MaxStoreFailures: 3}, func(t *testing.T, th *testHub, fs *faultStore) {
		claims := func() int {
			fs.mu.Lock()
			defer fs.mu.Unlock()
			return fs.claimFailures
		}
		for round := 1; round <= 2; round++ {
			fs.set(func(f *faultStore) { f.failClaims = 2 })
			th.hub.Wake()
			th.after(5 * time.Second)
			if exited, err := th.exited(); exited {
				t.Fatalf("round %d: Run stopped after two failures in a row: %v", round, err)
			}
			if n := claims(); n != 2*round {
				t.Fatalf("%d failed claims, want %d", n, 2*round)
			}
		}
		th.accept(dsX, "IF-021", if021(t, "between", testMPAN))
		th.settle()
		if n := len(th.rec.to(mds)); n != 1 {
			t.Fatalf("MDS received %d after the store recovered", n)
		}
		fs.set(func(f *faultStore) { f.failClaims = 1000 })
		th.hub.Wake()
		th.after(10 * time.Second)
		exited, err := th.exited()
		if !exited {
			t.Fatal("Run still runs after 3 failures in a row")
		}
		th.stop()
		if !errors.Is(err, errDisk) || !strings.Contains(err.Error(), "delivery failed 3 times in a row") {
			t.Errorf("Run returned %v", err)
		}
		if n := claims(); n != 4+3 {
			t.Errorf("%d failed claims, want 7: Run must stop at the third in a row", n)
		}
	})
}

// TestRunStopsWhenTheDirectoryCannotBeRefreshed: the directory refresher
// stops Run after MaxStoreFailures failures in a row.
func TestRunStopsWhenTheDirectoryCannotBeRefreshed(t *testing.T) {
	faultTest(t, dip.Config{MaxStoreFailures: 2, RefreshInterval: time.Minute}, func(t *testing.T, th *testHub, fs *faultStore) {
		fs.set(func(f *faultStore) { f.failParticipants = true })
		th.after(time.Minute)
		if exited, err := th.exited(); exited {
			t.Fatalf("Run stopped after one failed refresh: %v", err)
		}
		th.after(time.Minute)
		exited, err := th.exited()
		if !exited {
			t.Fatal("Run still runs after 2 failed refreshes")
		}
		th.stop()
		if !errors.Is(err, errDisk) || !strings.Contains(err.Error(), "refreshing the directory failed 2 times") {
			t.Errorf("Run returned %v", err)
		}
	})
}

// TestShutdownFinishesTheSubmissionUnderWay: a submission under way when
// shutdown begins is committed and answered before Run returns, while new
// submissions are refused.
func TestShutdownFinishesTheSubmissionUnderWay(t *testing.T) {
	faultTest(t, dip.Config{}, func(t *testing.T, th *testHub, fs *faultStore) {
		gate, entered := make(chan struct{}), make(chan struct{}, 1)
		fs.set(func(f *faultStore) { f.partiesGate, f.partiesEntered = gate, entered })
		p, _ := th.hub.Participant(dsX)
		type result struct {
			items []dip.Item
			err   error
		}
		submitted := make(chan result, 1)
		go func() {
			items, err := th.hub.Submit(th.ctx, p, "IF-021", dip.EgressArray([][]byte{if021(t, "underway", testMPAN)}))
			submitted <- result{items, err}
		}()
		<-entered // the submission is under way, held in the store
		fs.set(func(f *faultStore) { f.partiesGate = nil })
		stopped := make(chan error, 1)
		go func() { stopped <- th.stop() }()
		synctest.Wait()
		select {
		case err := <-stopped:
			t.Fatalf("Run returned before the submission under way finished: %v", err)
		default:
		}
		if err := th.hub.Ready(th.ctx); err == nil || !strings.Contains(err.Error(), "shutting down") {
			t.Errorf("Ready during shutdown: %v", err)
		}
		if _, err := th.hub.Submit(th.ctx, p, "IF-021", dip.EgressArray([][]byte{if021(t, "new", testMPAN)})); !errors.Is(err, dip.ErrStopped) {
			t.Errorf("a new Submit during shutdown: %v", err)
		}
		close(gate)
		r := <-submitted
		if r.err != nil || len(r.items) != 1 || !r.items[0].Accepted() {
			t.Fatalf("the submission under way: %+v %v", r.items, r.err)
		}
		if err := <-stopped; err != nil {
			t.Errorf("Run: %v", err)
		}
		jr, err := th.db.Journal(th.ctx, dsX, ref("IF-021", dsX, "SDS", "underway"))
		if err != nil || jr.Rejected || jr.Message.TransactionID != r.items[0].TransactionID {
			t.Errorf("journal of the submission under way: %+v %v", jr, err)
		}
	})
}

// TestShutdownFinishesTheDeliveryRound: a delivery round under way when
// shutdown begins finishes, and its attempts are recorded, before Run
// returns.
func TestShutdownFinishesTheDeliveryRound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Channels made in the bubble: blocking on them is durable.
		gate, entered := make(chan struct{}), make(chan struct{}, 1)
		var once sync.Once
		slow := dip.LocalService{DIPID: mds, Handler: participant.HandlerFunc(func(ctx context.Context, ds []participant.Delivery) []catalogue.Code {
			once.Do(func() { entered <- struct{}{}; <-gate })
			return nil
		})}
		db := openStore(t)
		th := newTestHub(t, db, db, dip.Config{Services: []dip.LocalService{slow}})
		th.accept(dsX, "IF-021", if021(t, "round", testMPAN))
		<-entered
		stopped := make(chan error, 1)
		go func() { stopped <- th.stop() }()
		synctest.Wait()
		select {
		case err := <-stopped:
			t.Fatalf("Run returned during a delivery round: %v", err)
		default:
		}
		close(gate)
		if err := <-stopped; err != nil {
			t.Errorf("Run: %v", err)
		}
		if ds := th.deliveries(mds, dip.StatusDelivered); len(ds) != 1 {
			t.Errorf("the round's delivery was not recorded: %+v", ds)
		}
	})
}

// TestShutdownDrainTimeout: a round that does not finish is cut at
// DrainTimeout: the service's context ends and Run returns.
func TestShutdownDrainTimeout(t *testing.T) {
	var mu sync.Mutex
	var seen error
	stuck := dip.LocalService{DIPID: mds, Handler: participant.HandlerFunc(func(ctx context.Context, ds []participant.Delivery) []catalogue.Code {
		<-ctx.Done()
		mu.Lock()
		seen = ctx.Err()
		mu.Unlock()
		return nil
	})}
	synctest.Test(t, func(t *testing.T) {
		db := openStore(t)
		th := newTestHub(t, db, db, dip.Config{Services: []dip.LocalService{stuck}, DrainTimeout: 5 * time.Second})
		th.accept(dsX, "IF-021", if021(t, "stuck", testMPAN))
		th.settle()
		start := time.Now()
		if err := th.stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
		if d := time.Since(start); d != 5*time.Second {
			t.Errorf("Run returned after %v, want the DrainTimeout, 5s", d)
		}
		mu.Lock()
		defer mu.Unlock()
		if !errors.Is(seen, context.DeadlineExceeded) {
			t.Errorf("the service's context ended with %v", seen)
		}
	})
}

// TestRunFailsToStart: a Run whose first directory load fails returns the
// error at once and the hub takes nothing; Ready then says it stopped.
func TestRunFailsToStart(t *testing.T) {
	var ready error
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		db := openStore(t)
		fs := &faultStore{DB: db, failParticipants: true}
		h := dip.NewHub(fs, dip.Config{})
		if err := h.Run(ctx); !errors.Is(err, errDisk) {
			t.Fatalf("Run: %v, want the store's error", err)
		}
		p := &dip.Participant{DIPID: dsX, Roles: []string{"SDS"}}
		if _, err := h.Submit(ctx, p, "IF-021", dip.EgressArray([][]byte{if021(t, "never", testMPAN)})); !errors.Is(err, dip.ErrStopped) {
			t.Errorf("Submit after Run failed: %v", err)
		}
		ready = h.Ready(ctx)
	})
	if ready == nil || strings.Contains(ready.Error(), "starting") {
		t.Errorf("Ready after Run failed at start = %v, want not running", ready)
	}
}
