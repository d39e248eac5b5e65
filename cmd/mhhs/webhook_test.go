package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/storetest"
)

// mhhs participant webhook administers a running DIP's webhooks, in its
// store (as an operator, learnt by the DIP within a second) or through its
// API (as the participant, with its keys): a webhook set in the store
// receives the channel's messages, signed by the DIP whose certificate
// GET /dip-certificate serves; one removed through the API receives none
// until it is set again, when what waited arrives; the status-message
// webhook receives the status messages about the participant's messages.
func TestParticipantWebhooks(t *testing.T) {
	if testing.Short() {
		t.Skip("boots mhhs serve and generates RSA keys")
	}
	participantWebhooks(t, "")
}

// TestParticipantWebhooksPostgres is TestParticipantWebhooks on PostgreSQL.
func TestParticipantWebhooksPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("boots mhhs serve and generates RSA keys")
	}
	participantWebhooks(t, storetest.PostgresSchema(t))
}

func participantWebhooks(t *testing.T, store string) {
	data := t.TempDir()
	var storeArgs []string
	if store != "" {
		storeArgs = []string{"--store", store}
	}
	h := startDIP(t, data, storeArgs...)
	sds := addPartyOn(t, data, store, h.url, sdsID, "SDS")
	mds := addPartyOn(t, data, store, h.url, mdsID, "MDS")
	addPartyOn(t, data, store, h.url, lssID, "LSS")
	ctx := context.Background()
	dipCert, err := sds.client.Certificate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) string {
		t.Helper()
		args = append(append(args, "--data", data), storeArgs...)
		code, out, errOut := runCLI(t, "", args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
		return out
	}
	remote := func(p *party) []string {
		return []string{"--remote", "--url", h.url, "--dip-id", p.id, "--key-file", p.keyFile, "--cert-file", p.certFile, "--api-key-file", p.keyPath}
	}
	// webhooks returns the rows of webhook list as "DIPID CHANNEL URL".
	webhooks := func(args ...string) []string {
		t.Helper()
		var rows []string
		for _, line := range strings.Split(strings.TrimSpace(cli(append([]string{"participant", "webhook", "list"}, args...)...)), "\n")[1:] {
			rows = append(rows, strings.Join(strings.Fields(line), " "))
		}
		return rows
	}
	send := func(n int) {
		t.Helper()
		// The running DIP reloads its participants every second: until it
		// has the MDS and LSS added above, an IF-021 has no recipient
		// (MSG3003), so the first send may have to wait for it.
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			r, err := sds.client.Send(ctx, "IF-021", if021(t, n))
			if err == nil && r.Status == 201 {
				return
			}
			if err != nil || time.Now().After(deadline) || !strings.Contains(string(r.Body), "MSG3003") {
				t.Fatalf("send %d: %v %v", n, r, err)
			}
		}
	}

	mdsInbox, lssInbox := newInbox(t, dipCert, mdsID), newInbox(t, dipCert, lssID)
	out := cli("participant", "webhook", "set", "--dip-id", mdsID, "--channel", "IF-021,IF-001", "--callback-url", mdsInbox.srv.URL)
	if want := fmt.Sprintf("webhook of %s for IF-021 set to %s\nwebhook of %s for IF-001 set to %s\n", mdsID, mdsInbox.srv.URL, mdsID, mdsInbox.srv.URL); out != want {
		t.Errorf("webhook set printed %q, want %q", out, want)
	}
	cli("participant", "webhook", "set", "--dip-id", lssID, "--channel", "IF-021", "--callback-url", lssInbox.srv.URL)
	want := []string{mdsID + " IF-001 " + mdsInbox.srv.URL, mdsID + " IF-021 " + mdsInbox.srv.URL}
	if got := webhooks("--dip-id", mdsID); !slices.Equal(got, want) {
		t.Errorf("webhook list --dip-id %s: %q, want %q", mdsID, got, want)
	}
	if got := webhooks(); len(got) != 3 {
		t.Errorf("webhook list: %q, want MDS's two and LSS's", got)
	}
	send(1) // the running DIP learns the webhooks from the store
	mdsInbox.wait(t, 1)
	lssInbox.wait(t, 1)

	// The status-message webhook, set through the API by the sender.
	status := newStatusInbox(t, dipCert)
	cli(append([]string{"participant", "webhook", "set", "--channel", "statusmessage", "--callback-url", status.srv.URL}, remote(sds)...)...)
	rec, ok, err := sds.client.DeliveryStatus(ctx, "IF-021", sdsID, fmt.Sprintf("S-IF-021-%s-SDS-20250401-1", sdsID))
	if err != nil || !ok {
		t.Fatalf("journal of message 1: %v %v", ok, err)
	}
	item := fmt.Sprintf(`[{"transactionID":"%s","senderUniqueReference":"S-IF-021-%s-SDS-20250401-1","correlationID":null,"sentTimestamp":"2025-04-01T00:00:00+00:00","senderID":"%s","recipientID":"%s","DIPConnectionProviderID":null,"message":"MSG0000 - Success","help":null,"serviceTicketURL":null}]`,
		rec.DIPTransactionID, sdsID, mdsID, sdsID)
	if r, err := mds.client.Do(ctx, "POST", "/statusmessage", []byte(item), nil); err != nil || r.Status != 201 {
		t.Fatalf("status message: %v %v", r, err)
	}
	waitFor(t, "the status message at the sender's status webhook", func() bool { return status.count() == 1 })
	if got := webhooks("--dip-id", sdsID); !slices.Equal(got, []string{sdsID + " statusmessage " + status.srv.URL}) {
		t.Errorf("the sender's webhooks: %q", got)
	}

	// Removed through the API, MDS's IF-021 webhook receives nothing: LSS
	// gets message 2, MDS's delivery of it is not attempted.
	cli(append([]string{"participant", "webhook", "remove", "--channel", "IF-021"}, remote(mds)...)...)
	send(2)
	lssInbox.wait(t, 1)
	rec, _, _ = sds.client.DeliveryStatus(ctx, "IF-021", sdsID, fmt.Sprintf("S-IF-021-%s-SDS-20250401-2", sdsID))
	if got := statusesFor(rec, mdsID); len(got) != 0 || mdsInbox.count() != 1 {
		t.Errorf("MDS without an IF-021 webhook: journal %v, %d messages received; want none attempted", got, mdsInbox.count())
	}
	if got := webhooks("--dip-id", mdsID); !slices.Equal(got, want[:1]) {
		t.Errorf("after remove: %q, want %q", got, want[:1])
	}
	// Set again in the store: message 2, which waited, arrives.
	cli("participant", "webhook", "set", "--dip-id", mdsID, "--channel", "IF-021", "--callback-url", mdsInbox.srv.URL)
	mdsInbox.wait(t, 1)
	if got := receivedRefs(mdsInbox); got[fmt.Sprintf("S-IF-021-%s-SDS-20250401-2", sdsID)] != 1 {
		t.Errorf("MDS received %v, want message 2 once", got)
	}
	// Removed in the store.
	cli("participant", "webhook", "remove", "--dip-id", lssID, "--channel", "IF-021")
	if got := webhooks("--dip-id", lssID); len(got) != 0 {
		t.Errorf("LSS's webhooks after remove: %q", got)
	}
}
