package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/archive"
	"github.com/mhhs/mhhs/internal/dip"
)

// TestDeliveryStatusFromArchive: once a delivered message is purged past
// retention into the archive, deliveryStatus answers the same journal as
// before, read from the archive, and says so in MHHS-Journal-Source.
func TestDeliveryStatusFromArchive(t *testing.T) {
	ctx := context.Background()
	arch, err := archive.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer arch.Close()
	d := newTestDIPHub(t, Config{}, dip.Config{Archive: arch})
	if a := do(t, d.signed(t, "/dip-channel/IF-021", d.message(t))); a.status != http.StatusCreated {
		t.Fatalf("submit: HTTP %d %s", a.status, a.body)
	}
	ref := fmt.Sprintf("S-IF-021-%s-SDS-20250401-1", testSender)
	path := "/dip-channel/IF-021/deliveryStatus/" + testSender + "/" + ref
	jr, err := d.store.Journal(ctx, testSender, ref)
	if err != nil {
		t.Fatal(err)
	}
	// The MDS has no webhook: record its delivery as the hub would.
	if err := d.store.Complete(ctx, []dip.Attempt{{Seq: jr.Message.Seq, Recipient: "1800000001", At: time.Now(), StatusCode: 201, Status: dip.StatusDelivered}}, 0); err != nil {
		t.Fatal(err)
	}
	before := do(t, d.get(t, path))
	if before.status != http.StatusOK || before.header.Get(JournalSourceHeader) != "" {
		t.Fatalf("before the purge: HTTP %d %q %s", before.status, before.header.Get(JournalSourceHeader), before.body)
	}
	n, err := dip.PurgeArchive(ctx, d.store, arch, time.Now().Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if _, err := d.store.Journal(ctx, testSender, ref); err != dip.ErrNotFound {
		t.Fatalf("still in the store: %v", err)
	}
	after := do(t, d.get(t, path))
	want := "archive " + dip.ArchiveDay(jr.Message.AcceptedAt).Format(time.DateOnly)
	if after.status != http.StatusOK || after.header.Get(JournalSourceHeader) != want {
		t.Fatalf("after the purge: HTTP %d %q (want %q) %s", after.status, after.header.Get(JournalSourceHeader), want, after.body)
	}
	if !bytes.Equal(before.body, after.body) {
		t.Errorf("the archive's journal differs from the store's:\nstore   %s\narchive %s", before.body, after.body)
	}
}
