package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/httpapi"
	"github.com/mhhs/mhhs/internal/signature"
	"github.com/mhhs/mhhs/internal/webhook"
)

// dipHarness is a running `mhhs serve` on port 0 with its data directory.
type dipHarness struct {
	t      *testing.T
	data   string
	url    string
	stop   context.CancelFunc
	done   chan int
	stderr *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startDIP runs mhhs serve in-process on 127.0.0.1:0 and waits for its
// address line.
func startDIP(t *testing.T, data string, args ...string) *dipHarness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	h := &dipHarness{t: t, data: data, stop: cancel, done: make(chan int, 1), stderr: &syncBuffer{}}
	all := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--poll", "20ms"}, args...)
	go func() {
		h.done <- run(ctx, all, func(string) string { return "" }, strings.NewReader(""), pw, h.stderr)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		if i := strings.Index(lines.Text(), "DIP API on "); i >= 0 {
			h.url = strings.Fields(lines.Text()[i+len("DIP API on "):])[0]
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if h.url == "" {
		t.Fatalf("serve did not start: %s", h.stderr)
	}
	t.Cleanup(h.shutdown)
	return h
}

func (h *dipHarness) shutdown() {
	h.stop()
	select {
	case code := <-h.done:
		if code != exitOK {
			h.t.Errorf("serve exited %d: %s", code, h.stderr)
		}
	case <-time.After(20 * time.Second):
		h.t.Error("serve did not shut down")
	}
	h.done <- exitOK // idempotent for a second call
}

// party is a registered participant with its key files.
type party struct {
	id, role                   string
	keyFile, certFile, keyPath string
	client                     *httpapi.Client
}

func addParty(t *testing.T, data, url, id, role string) *party {
	t.Helper()
	return addPartyOn(t, data, "", url, id, role)
}

// addPartyOn is addParty on the store at URL store ("": the SQLite store in
// data; the keys go to data either way).
func addPartyOn(t *testing.T, data, store, url, id, role string) *party {
	t.Helper()
	dir := filepath.Join(data, "keys")
	p := &party{id: id, role: role, keyFile: filepath.Join(dir, id+"-key.pem"), certFile: filepath.Join(dir, id+"-cert.pem"), keyPath: filepath.Join(dir, id+".apikey")}
	args := []string{"participant", "add", "--data", data, "--dip-id", id, "--roles", role, "--name", role + " " + id, "--generate", dir, "--api-key-file", p.keyPath}
	if store != "" {
		args = append(args, "--store", store)
	}
	code, out, errOut := runCLI(t, "", args...)
	if code != exitOK {
		t.Fatalf("participant add %s: %d %s %s", id, code, out, errOut)
	}
	p.client = clientFor(t, url, p)
	return p
}

func clientFor(t *testing.T, url string, p *party) *httpapi.Client {
	key, cert, err := signature.LoadKeyPairFiles(p.keyFile, p.certFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signature.NewSigner(key, cert)
	if err != nil {
		t.Fatal(err)
	}
	apiKey, _ := os.ReadFile(p.keyPath)
	return &httpapi.Client{BaseURL: url, APIKey: strings.TrimSpace(string(apiKey)), Signer: s}
}

// inbox is a participant's webhook: a Receiver that verifies the DIP's
// signature and records what arrives; fail makes it answer 500.
type inbox struct {
	srv  *httptest.Server
	mu   sync.Mutex
	msgs []catalogue.Message
	want int // messages waited for so far
	fail int // answer 500 to this many more requests
}

func newInbox(t *testing.T, dipCertPEM []byte, self string) *inbox {
	cert, err := signature.ParseCertificatePEM(dipCertPEM)
	if err != nil {
		t.Fatal(err)
	}
	ib := &inbox{}
	rc := &webhook.Receiver{Verifier: &signature.Verifier{}, TrustedFingerprints: []string{signature.CertificateFingerprint(cert)}, SelfID: self,
		Handle: func(ctx context.Context, msgs []catalogue.Message) []catalogue.Code {
			ib.mu.Lock()
			defer ib.mu.Unlock()
			if ib.fail > 0 {
				ib.fail--
				codes := make([]catalogue.Code, len(msgs))
				for i := range codes {
					codes[i] = catalogue.MSG5001
				}
				return codes
			}
			ib.msgs = append(ib.msgs, msgs...)
			return nil
		}}
	ib.srv = httptest.NewServer(rc)
	t.Cleanup(ib.srv.Close)
	return ib
}

func (ib *inbox) setFail(n int) { ib.mu.Lock(); ib.fail = n; ib.mu.Unlock() }

// wait waits for n more messages than the inbox has seen waited for so far.
func (ib *inbox) wait(t *testing.T, n int) {
	t.Helper()
	ib.mu.Lock()
	ib.want += n
	want := ib.want
	ib.mu.Unlock()
	waitFor(t, fmt.Sprintf("%d messages", want), func() bool { return ib.count() >= want })
}

// waitFor polls cond until it holds (bounded): the DIP delivers
// asynchronously, so tests wait for what they expect to arrive.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (ib *inbox) count() int { ib.mu.Lock(); defer ib.mu.Unlock(); return len(ib.msgs) }

func (ib *inbox) last() catalogue.Message {
	ib.mu.Lock()
	defer ib.mu.Unlock()
	return ib.msgs[len(ib.msgs)-1]
}

// market for the test: a REGS, a data service, a supplier, an LDSO, the MDS
// and the LSS.
const (
	regsID = "2200000001"
	sdsID  = "1200000001"
	supID  = "2300000001"
	ldsoID = "2500000012"
	mdsID  = "1800000001"
	lssID  = "1900000001"
	mpan   = "1200023305967"
)

// if021 builds an IF-021 [ActivePower] message array with the typed API.
func if021(t *testing.T, n int) []byte {
	return wrap(t, if021Payload(t, n))
}

func if021Payload(t *testing.T, n int) []byte {
	t.Helper()
	c := catalogue.Default()
	v, _ := c.Variant("IF-021", "[ActivePower]")
	p, err := c.Decode(c.Example(v, catalogue.ExampleOptions{SenderDIPID: sdsID, SenderRole: "SDS", MPAN: mpan}))
	if err != nil {
		t.Fatal(err)
	}
	m := p.(*catalogue.IF021ActivePower)
	m.CommonBlock.S1.SenderUniqueReference = fmt.Sprintf("S-IF-021-%s-SDS-20250401-%d", sdsID, n)
	m.CommonBlock.M0.DistributorDIPID = ldsoID
	b, err := catalogue.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func wrap(t *testing.T, payloads ...[]byte) []byte {
	var parts []string
	for _, p := range payloads {
		parts = append(parts, `{"payload":`+string(p)+`}`)
	}
	return []byte("[" + strings.Join(parts, ",") + "]")
}

// if001 is REGS's IF-001 [InitialRegistration] naming the incoming supplier
// and, as primary recipient, that supplier.
func if001(t *testing.T) []byte {
	c := catalogue.Default()
	v, _ := c.Variant("IF-001", "[InitialRegistration]")
	p, err := c.Decode(c.Example(v, catalogue.ExampleOptions{Full: true, SenderDIPID: regsID, SenderRole: "REGS", MPAN: mpan}))
	if err != nil {
		t.Fatal(err)
	}
	m := p.(*catalogue.IF001InitialRegistration)
	m.CommonBlock.M0.DistributorDIPID = ldsoID
	m.CustomBlock.B002.IncomingSupplierDIPID = supID
	catalogue.To(m, supID)
	b, err := catalogue.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return wrap(t, b)
}

func sameSet(v any, want ...string) bool {
	got, _ := v.([]any)
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			return false
		}
	}
	return true
}

// statusInbox is a status-message webhook: it verifies the DIP's signature
// and counts the StandardResponse items it receives.
type statusInbox struct {
	srv   *httptest.Server
	mu    sync.Mutex
	items []catalogue.StandardResponseBodyType
}

func newStatusInbox(t *testing.T, dipCertPEM []byte) *statusInbox {
	cert, _ := signature.ParseCertificatePEM(dipCertPEM)
	fp := signature.CertificateFingerprint(cert)
	si := &statusInbox{}
	si.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c, err := (&signature.Verifier{}).VerifyRequest(r, body)
		if err != nil || signature.CertificateFingerprint(c) != fp {
			t.Errorf("status delivery not signed by the DIP: %v", err)
			w.WriteHeader(401)
			return
		}
		var items []catalogue.StandardResponseBodyType
		if err := json.Unmarshal(body, &items); err != nil {
			t.Errorf("status delivery is not a StandardResponseArray: %s", body)
		}
		si.mu.Lock()
		si.items = append(si.items, items...)
		si.mu.Unlock()
		w.WriteHeader(201)
	}))
	t.Cleanup(si.srv.Close)
	return si
}

func (si *statusInbox) count() int { si.mu.Lock(); defer si.mu.Unlock(); return len(si.items) }

func items(t *testing.T, r *httpapi.Response) []catalogue.StandardResponseBodyType {
	t.Helper()
	sr, err := r.StandardResponse()
	if err != nil || sr.MessageArray == nil {
		t.Fatalf("not a StandardResponse (%d): %s", r.Status, r.Body)
	}
	return *sr.MessageArray
}

func msgOf(it catalogue.StandardResponseBodyType) string { return deref(it.Message) }

// statusesFor lists the statuses of the journal's attempts for recipient,
// in order.
func statusesFor(rec catalogue.DIPJournalRecord, recipient string) []string {
	var out []string
	for _, e := range rec.JournalEntries {
		if e.Recipient != nil && *e.Recipient == recipient {
			out = append(out, e.Status)
		}
	}
	return out
}

// recipientLine returns the fields of recipient's line in the output of
// mhhs recipient list (RECIPIENT STATE FAILURES PAUSED-AT), or four empty
// fields.
func recipientLine(out, recipient string) []string {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == recipient {
			return f
		}
	}
	return make([]string, 4)
}

// deadLetters returns the rows of mhhs recipient dead-letters (TRANSACTION
// CHANNEL MPAN ATTEMPTS LAST-ERROR...), without the header.
func deadLetters(out string) [][]string {
	var rows [][]string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		rows = append(rows, strings.Fields(line))
	}
	return rows
}

func TestDIPEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("boots mhhs serve and generates RSA keys")
	}
	data := t.TempDir()
	h := startDIP(t, data, "--retry-base", "30ms", "--retry-max", "100ms", "--retry-attempts", "4", "--pause-after", "6", "--replay-page", "2")
	dipCert, err := os.ReadFile(filepath.Join(data, "dip-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	regs := addParty(t, data, h.url, regsID, "REGS")
	sds := addParty(t, data, h.url, sdsID, "SDS")
	sup := addParty(t, data, h.url, supID, "SUP")
	ldso := addParty(t, data, h.url, ldsoID, "LDSO")
	mds := addParty(t, data, h.url, mdsID, "MDS")
	lss := addParty(t, data, h.url, lssID, "LSS")
	ctx := context.Background()
	inboxes := map[string]*inbox{}
	for _, p := range []*party{sup, ldso, mds, lss} {
		ib := newInbox(t, dipCert, p.id)
		inboxes[p.id] = ib
		for _, ch := range []string{"IF-001", "IF-021"} {
			if err := p.client.ConfigureWebhook(ctx, ch, p.id, ib.srv.URL+"/hook"); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Status messages come back to the sender's status webhook.
	sdsStatus := newStatusInbox(t, dipCert)
	if err := sds.client.ConfigureWebhook(ctx, "statusmessage", sdsID, sdsStatus.srv.URL); err != nil {
		t.Fatal(err)
	}

	t.Run("registration routes Primary and Secondary", func(t *testing.T) {
		r, err := regs.client.Send(ctx, "IF-001", if001(t))
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != 201 {
			t.Fatalf("IF-001: %d %s", r.Status, r.Body)
		}
		// The journal's Addressing entry holds the recipients, each by
		// route, as intake chose them: LSS is not among them.
		rec, ok, err := regs.client.DeliveryStatus(ctx, "IF-001", regsID, fmt.Sprintf("S-IF-001-%s-REGS-20250401-1", regsID))
		if err != nil || !ok {
			t.Fatalf("journal of IF-001: %v %v", ok, err)
		}
		var routes *catalogue.JournalEntryRecipientMap
		for _, e := range rec.JournalEntries {
			if e.DIPStage == "Addressing" {
				routes = e.RecipientMap
			}
		}
		want := &catalogue.JournalEntryRecipientMap{
			Primary:   []catalogue.RecipientMapEntry{{Role: "SUP", DipId: supID}},   // named in A0
			Secondary: []catalogue.RecipientMapEntry{{Role: "LDSO", DipId: ldsoID}}, // M0.distributorDIPID
			Always:    []catalogue.RecipientMapEntry{{Role: "MDS", DipId: mdsID}},
		}
		if diff := cmp.Diff(want, routes); diff != "" {
			t.Errorf("IF-001's recipient map (-want +got):\n%s", diff)
		}
		inboxes[supID].wait(t, 1)
		inboxes[ldsoID].wait(t, 1)
		inboxes[mdsID].wait(t, 1)
		// Personal data: the supplier sees the premises address, the MDS does not.
		address := func(m catalogue.Message) any {
			var p struct {
				CustomBlock struct {
					B022 map[string]any `json:"B022"`
				} `json:"CustomBlock"`
			}
			json.Unmarshal(m.Payload, &p)
			return p.CustomBlock.B022["addressLine1"]
		}
		if address(inboxes[supID].last()) == nil || address(inboxes[mdsID].last()) != nil {
			t.Errorf("address to SUP %v, to MDS %v: want shown, masked", address(inboxes[supID].last()), address(inboxes[mdsID].last()))
		}
		// Replay masks the same way.
		r, err = mds.client.Do(ctx, "POST", "/dip-channel/IF-001/replay/"+mdsID, []byte(`{"datetimeFrom":null,"datetimeTo":null,"eventCode":null,"MPAN":null,"version":null}`), nil)
		var replayed []catalogue.Message
		if err != nil || json.Unmarshal(r.Body, &replayed) != nil || len(replayed) != 1 || address(replayed[0]) != nil {
			t.Errorf("replay to MDS: %v %d %s", err, r.Status, r.Body)
		}
	})

	var firstTx string
	t.Run("accept and deliver IF-021 by every route", func(t *testing.T) {
		body := if021(t, 1)
		f := filepath.Join(data, "if021.json")
		os.WriteFile(f, body, 0o644)
		code, out, errOut := runCLI(t, "", "send", "--url", h.url, "--channel", "IF-021", "--dip-id", sdsID,
			"--key-file", sds.keyFile, "--cert-file", sds.certFile, "--api-key-file", sds.keyPath, f)
		if code != exitOK || !strings.Contains(out, "HTTP 201") || !strings.Contains(out, "accepted: MSG0000 - Success") {
			t.Fatalf("mhhs send: %d\n%s%s", code, out, errOut)
		}
		for _, id := range []string{supID, ldsoID, mdsID, lssID} {
			inboxes[id].wait(t, 1)
		}
		var got map[string]any
		json.Unmarshal(inboxes[mdsID].last().Payload, &got)
		cb := got["CommonBlock"].(map[string]any)
		d0 := cb["D0"].(map[string]any)
		a0 := cb["A0"].(map[string]any)
		firstTx = d0["transactionID"].(string)
		if !strings.HasPrefix(firstTx, "T-IF-021-"+sdsID+"-SDS-") || d0["publicationID"] != "PUB-021" || d0["replayIndicator"] != false {
			t.Errorf("D0 = %v", d0)
		}
		if !sameSet(a0["secondaryRecipients"], supID, ldsoID) || !sameSet(a0["always"], mdsID, lssID) || !sameSet(a0["primaryRecipients"]) {
			t.Errorf("A0 = %v", a0)
		}
		// The delivered payload is the sender's, completed: it still validates.
		vd, err := catalogue.NewValidator(nil).ValidatePayload("IF-021", inboxes[mdsID].last().Payload)
		if err != nil || !vd.OK() {
			t.Errorf("delivered payload invalid: %v %v", err, vd.Findings)
		}
	})

	t.Run("rejections", func(t *testing.T) {
		// Unknown API key.
		bad := *sds.client
		bad.APIKey = "nope"
		r, _ := bad.Send(ctx, "IF-021", if021(t, 2))
		if r.Status != 401 || msgOf(items(t, r)[0]) != catalogue.MSG4001.Message() {
			t.Errorf("unknown key: %d %s", r.Status, r.Body)
		}
		// Signed with another participant's certificate.
		wrongCert := *sds.client
		wrongCert.Signer = sup.client.Signer
		r, _ = wrongCert.Send(ctx, "IF-021", if021(t, 2))
		if r.Status != 401 || msgOf(items(t, r)[0]) != catalogue.MSG4002.Message() {
			t.Errorf("wrong certificate: %d %s", r.Status, r.Body)
		}
		// A signature date outside the skew window.
		key, cert, _ := signature.LoadKeyPairFiles(sds.keyFile, sds.certFile)
		stale, _ := signature.NewSigner(key, cert)
		stale.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
		staleClient := *sds.client
		staleClient.Signer = stale
		r, _ = staleClient.Send(ctx, "IF-021", if021(t, 2))
		if r.Status != 401 || msgOf(items(t, r)[0]) != catalogue.MSG4003.Message() {
			t.Errorf("stale date: %d %s", r.Status, r.Body)
		}
		// Wrong role: a supplier may not send IF-021 (and is not the sender named in S1).
		r, _ = sup.client.Send(ctx, "IF-021", if021(t, 2))
		if r.Status != 400 || !strings.HasPrefix(msgOf(items(t, r)[0]), "MSG4004") {
			t.Errorf("wrong participant: %d %s", r.Status, r.Body)
		}
		// Schema failure.
		broken := bytes.Replace(if021(t, 3), []byte(`"GSPGroupID":"_A"`), []byte(`"GSPGroupID":"_I"`), 1)
		r, _ = sds.client.Send(ctx, "IF-021", broken)
		if r.Status != 400 || msgOf(items(t, r)[0]) != catalogue.MSG1001.Message() || !strings.Contains(deref(items(t, r)[0].Help), "GSPGroupID") {
			t.Errorf("schema failure: %d %s", r.Status, r.Body)
		}
		// Duplicate of the accepted message.
		r, _ = sds.client.Send(ctx, "IF-021", if021(t, 1))
		if r.Status != 400 || msgOf(items(t, r)[0]) != catalogue.MSG3001.Message() {
			t.Errorf("duplicate: %d %s", r.Status, r.Body)
		}
		// Not JSON.
		r, _ = sds.client.Send(ctx, "IF-021", []byte(`[{"payload":`))
		if r.Status != 400 || msgOf(items(t, r)[0]) != catalogue.MSG1002.Message() {
			t.Errorf("bad JSON: %d %s", r.Status, r.Body)
		}
		// Unknown channel.
		r, _ = sds.client.Send(ctx, "IF-999", if021(t, 4))
		if r.Status != 404 {
			t.Errorf("unknown channel: %d %s", r.Status, r.Body)
		}
		// The journal records the schema failure.
		rec, ok, err := sds.client.DeliveryStatus(ctx, "IF-021", sdsID, fmt.Sprintf("S-IF-021-%s-SDS-20250401-3", sdsID))
		if err != nil || !ok || rec.JournalEntries[0].Status != "InboundRuleFailure" {
			t.Errorf("journal of a rejected message: %v %v %+v", ok, err, rec)
		}
	})

	t.Run("207 partial batch", func(t *testing.T) {
		good := if021Payload(t, 10)
		bad := bytes.Replace(if021Payload(t, 11), []byte(`"MQID":{"measurementQuantityID":"AI"}`), []byte(`"MQID":{}`), 1)
		r, _ := sds.client.Send(ctx, "IF-021", wrap(t, good, bad))
		its := items(t, r)
		if r.Status != 207 || len(its) != 2 || msgOf(its[0]) != catalogue.MSG0000.Message() || msgOf(its[1]) != catalogue.MSG1001.Message() {
			t.Fatalf("207: %d %s", r.Status, r.Body)
		}
		if its[0].TransactionID == nil || its[1].TransactionID != nil {
			t.Errorf("transaction ids: %v %v", its[0].TransactionID, its[1].TransactionID)
		}
		inboxes[mdsID].wait(t, 1)
		inboxes[lssID].wait(t, 1)
		inboxes[supID].wait(t, 1)
		inboxes[ldsoID].wait(t, 1)
	})

	t.Run("retries against a failing receiver", func(t *testing.T) {
		inboxes[lssID].setFail(2)
		r, _ := sds.client.Send(ctx, "IF-021", if021(t, 20))
		if r.Status != 201 {
			t.Fatalf("send: %d %s", r.Status, r.Body)
		}
		inboxes[lssID].wait(t, 1)
		// The DIP records the delivery after the receiver's answer: wait for it.
		var rec catalogue.DIPJournalRecord
		var lss []string
		waitFor(t, "the Delivered journal entry", func() bool {
			r, ok, err := sds.client.DeliveryStatus(ctx, "IF-021", sdsID, fmt.Sprintf("S-IF-021-%s-SDS-20250401-20", sdsID))
			if err != nil || !ok {
				t.Fatal(ok, err)
			}
			rec, lss = r, nil
			for _, e := range rec.JournalEntries {
				if e.Recipient != nil && *e.Recipient == lssID {
					lss = append(lss, e.Status)
				}
			}
			return len(lss) > 0 && lss[len(lss)-1] == "Delivered"
		})
		if strings.Join(lss, ",") != "Retrying,Retrying,Delivered" {
			t.Errorf("LSS journal: %v", lss)
		}
		if rec.JournalEntries[0].DIPStage != "Inbound" || rec.JournalEntries[1].DIPStage != "Addressing" || rec.JournalEntries[1].RecipientMap == nil {
			t.Errorf("journal head: %+v", rec.JournalEntries[:2])
		}
	})

	t.Run("pause, dead letters and resume", func(t *testing.T) {
		inboxes[lssID].setFail(1000)
		// One message alone: its 4 attempts (--retry-attempts) fail, it is
		// RetriesExhausted, and LSS, at 4 consecutive failures of the 6
		// that pause it, is not paused.
		if r, _ := sds.client.Send(ctx, "IF-021", if021(t, 30)); r.Status != 201 {
			t.Fatalf("send: %d %s", r.Status, r.Body)
		}
		dead := fmt.Sprintf("S-IF-021-%s-SDS-20250401-30", sdsID)
		var lss []string
		var deadTx string
		waitFor(t, "the dead letter's last attempt", func() bool {
			rec, ok, err := sds.client.DeliveryStatus(ctx, "IF-021", sdsID, dead)
			if err != nil || !ok {
				t.Fatal(ok, err)
			}
			lss, deadTx = statusesFor(rec, lssID), rec.DIPTransactionID
			return len(lss) > 0 && lss[len(lss)-1] != "Retrying"
		})
		if strings.Join(lss, ",") != "Retrying,Retrying,Retrying,RetriesExhausted" {
			t.Errorf("LSS journal of the dead letter: %v, want 3 retries and RetriesExhausted", lss)
		}
		_, out, _ := runCLI(t, "", "recipient", "list", "--data", data)
		if recipientLine(out, lssID)[1] != "delivering" || recipientLine(out, lssID)[2] != "4" {
			t.Errorf("LSS after 4 failures:\n%s", out)
		}
		code, out, errOut := runCLI(t, "", "recipient", "dead-letters", "--data", data, lssID)
		if got := deadLetters(out); code != exitOK || len(got) != 1 || got[0][0] != deadTx || got[0][1] != "IF-021" || got[0][3] != "4" {
			t.Errorf("dead letters of LSS: %d\n%s%s\nwant %s on IF-021 after 4 attempts", code, out, errOut, deadTx)
		}

		// Two more failures pause LSS.
		for n := 31; n < 33; n++ {
			if r, _ := sds.client.Send(ctx, "IF-021", if021(t, n)); r.Status != 201 {
				t.Fatalf("send: %d %s", r.Status, r.Body)
			}
		}
		waitFor(t, "LSS paused", func() bool {
			_, out, _ := runCLI(t, "", "recipient", "list", "--data", data)
			return recipientLine(out, lssID)[1] == "Paused"
		})
		inboxes[lssID].setFail(0)
		code, out, _ = runCLI(t, "", "recipient", "resume", "--data", data, lssID)
		if code != exitOK {
			t.Fatal(out)
		}
		inboxes[lssID].wait(t, 2) // 31 and 32, retried at once on resume
		code, out, _ = runCLI(t, "", "recipient", "requeue", "--data", data, lssID)
		if code != exitOK || !strings.Contains(out, "1 dead letters of "+lssID+" requeued") {
			t.Fatalf("requeue: %d %s", code, out)
		}
		inboxes[lssID].wait(t, 1)
		if got := inboxes[lssID].last(); !strings.Contains(string(got.Payload), dead) {
			t.Errorf("LSS's last message is not the requeued dead letter %s", dead)
		}
	})

	t.Run("replay pages with a continuation token", func(t *testing.T) {
		var got []string
		token := ""
		pages := 0
		for {
			hdr := http.Header{}
			if token != "" {
				hdr.Set("X-Continuation-Token", token)
			}
			r, err := mds.client.Do(ctx, "POST", "/dip-channel/IF-021/replay/"+mdsID,
				[]byte(`{"datetimeFrom":null,"datetimeTo":null,"eventCode":"ActivePower","MPAN":"`+mpan+`","version":null}`), hdr)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			var msgs []catalogue.Message
			if err := json.Unmarshal(r.Body, &msgs); err != nil {
				t.Fatalf("replay page: %d %s", r.Status, r.Body)
			}
			for _, m := range msgs {
				var p map[string]any
				json.Unmarshal(m.Payload, &p)
				d0 := p["CommonBlock"].(map[string]any)["D0"].(map[string]any)
				if d0["replayIndicator"] != true {
					t.Errorf("replayIndicator %v", d0["replayIndicator"])
				}
				got = append(got, d0["transactionID"].(string))
			}
			token = r.Header.Get("X-Continuation-Token")
			if r.Status == 200 {
				break
			}
			if r.Status != 206 || token == "" {
				t.Fatalf("page %d: %d token %q", pages, r.Status, token)
			}
		}
		if len(got) != 6 || got[0] != firstTx || pages != 3 {
			t.Errorf("replayed %d messages in %d pages (first %s, want %s)", len(got), pages, got[0], firstTx)
		}
		// Another participant cannot replay MDS's messages.
		r, _ := lss.client.Do(ctx, "POST", "/dip-channel/IF-021/replay/"+mdsID, []byte(`{"datetimeFrom":null,"datetimeTo":null,"eventCode":null,"MPAN":null,"version":null}`), nil)
		if r.Status != 403 {
			t.Errorf("replay for another recipient: %d", r.Status)
		}
	})

	var requeueID string
	t.Run("requeue and its status", func(t *testing.T) {
		before := inboxes[mdsID].count()
		r, err := mds.client.Do(ctx, "POST", "/dip-channel/IF-021/requeue/"+mdsID,
			[]byte(`{"datetimeFrom":null,"datetimeTo":null,"eventCode":null,"MPAN":null,"version":null,"transactionIDs":["`+firstTx+`"]}`), nil)
		if err != nil || r.Status != 202 {
			t.Fatalf("requeue: %v %d %s", err, r.Status, r.Body)
		}
		var id string
		json.Unmarshal(r.Body, &id)
		waitFor(t, "the requeued message", func() bool { return inboxes[mdsID].count() == before+1 })
		var st []catalogue.RequeueStatus
		deadline := time.Now().Add(5 * time.Second)
		for {
			r, _ = mds.client.Do(ctx, "GET", "/dip-channel/IF-021/requeueStatus/"+mdsID+"?requeue-id="+id, nil, nil)
			json.Unmarshal(r.Body, &st)
			if len(st) == 1 && *st[0].Status == "Completed" || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if len(st) != 1 || *st[0].Status != "Completed" || *st[0].ProcessedTransactions != 1 {
			t.Errorf("requeue status: %d %s", r.Status, r.Body)
		}
		requeueID = id

		// One requeue at a time per recipient and channel: a job Processing
		// (started here through the store, as another hub would) refuses a
		// second with 429 MSG4004.
		store, err := openStore(ctx, "", data, false)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		running, err := store.StartRequeue(ctx, dip.RequeueJob{ID: "RQ-elsewhere", Recipient: mdsID, Channel: "IF-001", Started: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		r, _ = mds.client.Do(ctx, "POST", "/dip-channel/IF-001/requeue/"+mdsID,
			[]byte(`{"datetimeFrom":null,"datetimeTo":null,"eventCode":null,"MPAN":null,"version":null}`), nil)
		if r.Status != 429 || r.Header.Get("Retry-After") == "" || !strings.HasPrefix(msgOf(items(t, r)[0]), "MSG4004") ||
			!strings.Contains(string(r.Body), "RQ-elsewhere") {
			t.Errorf("requeue while one runs: %d %s", r.Status, r.Body)
		}
		running.Status, running.Updated = dip.RequeueCompleted, time.Now()
		if err := store.UpdateRequeue(ctx, running); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("status message reaches the original sender", func(t *testing.T) {
		item := fmt.Sprintf(`[{"transactionID":"%s","senderUniqueReference":"S-IF-021-%s-SDS-20250401-1","correlationID":null,"sentTimestamp":"2025-04-01T00:00:00+00:00","senderID":"%s","recipientID":"%s","DIPConnectionProviderID":null,"message":"MSG0000 - Success","help":null,"serviceTicketURL":null}]`, firstTx, sdsID, mdsID, sdsID)
		r, err := mds.client.Do(ctx, "POST", "/statusmessage", []byte(item), nil)
		if err != nil || r.Status != 201 {
			t.Fatalf("statusmessage: %v %d %s", err, r.Status, r.Body)
		}
		waitFor(t, "the status message", func() bool { return sdsStatus.count() == 1 })
		// A participant that did not receive the transaction cannot report on it.
		r, _ = regs.client.Do(ctx, "POST", "/statusmessage", []byte(item), nil)
		if r.Status != 400 || msgOf(items(t, r)[0]) != catalogue.MSG3002.Message() {
			t.Errorf("status from a stranger: %d %s", r.Status, r.Body)
		}
	})

	t.Run("validate endpoint", func(t *testing.T) {
		r, err := sds.client.Do(ctx, "POST", "/validate/IF-021/ActivePower", if021(t, 900), nil)
		if err != nil || r.Status != 201 || !strings.Contains(string(r.Body), "Message OK") {
			t.Errorf("valid message: %v %d %s", err, r.Status, r.Body)
		}
		r, _ = sds.client.Do(ctx, "POST", "/validate/IF-021/ReactivePower", if021(t, 900), nil)
		if r.Status != 400 || !strings.Contains(string(r.Body), "S0.eventCode") {
			t.Errorf("ActivePower message against ReactivePower: %d %s", r.Status, r.Body)
		}
		// Validation stores nothing: the reference is still free.
		if r, _ := sds.client.Send(ctx, "IF-021", if021(t, 900)); r.Status != 201 {
			t.Errorf("send after validate: %d %s", r.Status, r.Body)
		}
	})

	t.Run("journal command and OpenAPI", func(t *testing.T) {
		code, out, errOut := runCLI(t, "", "journal", "--data", data, fmt.Sprintf("S-IF-021-%s-SDS-20250401-1", sdsID))
		if code != exitOK || !strings.Contains(out, "Addressing") || !strings.Contains(out, "Delivered") {
			t.Errorf("mhhs journal: %d\n%s%s", code, out, errOut)
		}
		resp, err := http.Get(h.url + "/openapi.json")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("openapi: %v", err)
		}
		var doc map[string]any
		json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if doc["openapi"] != "3.1.0" {
			t.Errorf("openapi.json: %v", doc["openapi"])
		}
	})

	// Last: it stops the server the subtests above share.
	t.Run("requeue status outlives a restart", func(t *testing.T) {
		if requeueID == "" {
			t.Skip("no requeue completed above")
		}
		h.shutdown()
		h2 := startDIP(t, data)
		r, err := clientFor(t, h2.url, mds).Do(ctx, "GET", "/dip-channel/IF-021/requeueStatus/"+mdsID+"?requeue-id="+requeueID, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		var st []catalogue.RequeueStatus
		if err := json.Unmarshal(r.Body, &st); err != nil || len(st) != 1 || *st[0].Status != "Completed" || *st[0].RequeueId != requeueID {
			t.Errorf("requeue status after a restart: %d %s", r.Status, r.Body)
		}
	})
}
