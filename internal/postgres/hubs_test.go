package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/storetest"
)

// TestTwoHubsShareOnePostgres runs two DIP hubs (two stores, as two mhhs
// serve processes would have) on one PostgreSQL database: messages are
// submitted to both, both deliver, and every message reaches each recipient
// once: the hubs share the work through SKIP LOCKED claims, without double
// delivery.
func TestTwoHubsShareOnePostgres(t *testing.T) {
	dsn := storetest.PostgresSchema(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	got := map[string]map[string]int{} // recipient -> transaction -> count
	byHub := map[string]int{}
	handler := func(hub, recipient string) participant.Handler {
		return participant.HandlerFunc(func(ctx context.Context, ds []participant.Delivery) []catalogue.Code {
			mu.Lock()
			defer mu.Unlock()
			for _, d := range ds {
				if got[recipient] == nil {
					got[recipient] = map[string]int{}
				}
				got[recipient][d.TransactionID]++
				byHub[hub]++
			}
			return nil
		})
	}
	const sender, mds, lss = "1200000001", "1800000001", "1900000001"
	var hubs []*dip.Hub
	var wg sync.WaitGroup
	for i, name := range []string{"hub-a", "hub-b"} {
		store := open(t, dsn)
		if i == 0 {
			for _, p := range []dip.Participant{
				{DIPID: sender, Roles: []string{"SDS"}}, {DIPID: mds, Roles: []string{"MDS"}}, {DIPID: lss, Roles: []string{"LSS"}},
			} {
				if err := store.PutParticipant(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
		}
		h := dip.NewHub(store, dip.Config{Owner: name,
			Services:     []dip.LocalService{{DIPID: mds, Handler: handler(name, mds)}, {DIPID: lss, Handler: handler(name, lss)}},
			PollInterval: 5 * time.Millisecond, ClaimBatch: 7, BatchSize: 3, Committers: 2})
		if err := h.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		hubs = append(hubs, h)
		wg.Add(1)
		go func() { defer wg.Done(); h.Run(ctx) }()
	}
	defer func() { cancel(); wg.Wait() }()

	c := catalogue.Default()
	v, _ := c.Variant("IF-021", "[ActivePower]")
	const n = 120
	var txs []string
	for i := 0; i < n; i++ {
		p, _ := c.Decode(c.Example(v, catalogue.ExampleOptions{SenderDIPID: sender, SenderRole: "SDS"}))
		m := p.(*catalogue.IF021ActivePower)
		m.CommonBlock.S1.SenderUniqueReference = fmt.Sprintf("S-IF-021-%s-SDS-20250401-%d", sender, i)
		payload, _ := catalogue.Encode(m)
		h := hubs[i%2]
		from, _ := h.Participant(sender)
		items, err := h.Submit(ctx, from, "IF-021", dip.EgressArray([][]byte{payload}))
		if err != nil || !items[0].Accepted() {
			t.Fatalf("submit %d: %v %+v", i, err, items)
		}
		txs = append(txs, items[0].TransactionID)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		done := len(got[mds]) == n && len(got[lss]) == n
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivered %d to MDS and %d to LSS of %d", len(got[mds]), len(got[lss]), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, r := range []string{mds, lss} {
		for _, tx := range txs {
			if got[r][tx] != 1 {
				t.Errorf("%s received %s %d times", r, tx, got[r][tx])
			}
		}
	}
	if byHub["hub-a"] == 0 || byHub["hub-b"] == 0 {
		t.Errorf("one hub did all the delivering: %v", byHub)
	}
	t.Logf("deliveries by hub: %v", byHub)
}
