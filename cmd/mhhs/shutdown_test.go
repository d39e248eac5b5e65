package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/sqlite"
)

// TestShutdownDrainsDeliveries stops mhhs serve while a delivery is in
// flight (the receiver holds the request): the DIP waits for the answer and
// records it before it exits, so the journal says Delivered, not a claim left
// behind.
func TestShutdownDrainsDeliveries(t *testing.T) {
	if testing.Short() {
		t.Skip("boots mhhs serve and generates RSA keys")
	}
	data := t.TempDir()
	h := startDIP(t, data)
	sds := addParty(t, data, h.url, sdsID, "SDS")
	mds := addParty(t, data, h.url, mdsID, "MDS")
	arrived, release := make(chan struct{}), make(chan struct{})
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		w.WriteHeader(201)
	}))
	defer recv.Close()
	ctx := context.Background()
	if err := mds.client.ConfigureWebhook(ctx, "IF-021", mdsID, recv.URL); err != nil {
		t.Fatal(err)
	}
	if r, err := sds.client.Send(ctx, "IF-021", if021(t, 1)); err != nil || r.Status != 201 {
		t.Fatalf("send: %v %v", err, r)
	}
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("delivery never started")
	}
	stopped := make(chan struct{})
	go func() { h.shutdown(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("serve exited with a delivery in flight")
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	<-stopped
	store, err := sqlite.Open(ctx, filepath.Join(data, "mhhs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rec, err := store.Journal(ctx, sdsID, fmt.Sprintf("S-IF-021-%s-SDS-20250401-1", sdsID))
	if err != nil {
		t.Fatal(err)
	}
	last := rec.Entries[len(rec.Entries)-1]
	if last.Stage != "Outbound" || last.Status != "Delivered" || last.Recipient != mdsID {
		t.Errorf("journal after shutdown ends with %+v, want Outbound Delivered to MDS", last)
	}
}
