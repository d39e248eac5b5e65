package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/postgres"
	"github.com/mhhs/mhhs/internal/simparty"
	"github.com/mhhs/mhhs/internal/sqlite"
	"github.com/mhhs/mhhs/internal/storetest"
)

// serviceProcess is `mhhs service NAME` run as a separate process.
type serviceProcess struct {
	cmd  *exec.Cmd
	args []string
}

// startServiceProcess starts `mhhs service` with args and waits until it
// has registered its webhooks.
func startServiceProcess(t *testing.T, bin string, args ...string) *serviceProcess {
	t.Helper()
	sp, ready := spawnService(t, bin, args...)
	if err := <-ready; err != nil {
		t.Fatal(err)
	}
	return sp
}

// spawnService starts `mhhs service` with args; ready reports when it has
// registered its webhooks, or that it did not start.
func spawnService(t *testing.T, bin string, args ...string) (*serviceProcess, <-chan error) {
	cmd := exec.Command(bin, append([]string{"service"}, args...)...)
	out, err := cmd.StdoutPipe()
	ready := make(chan error, 1)
	if err != nil {
		ready <- err
		return nil, ready
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		ready <- err
		return nil, ready
	}
	sp := &serviceProcess{cmd: cmd, args: args}
	t.Cleanup(func() { sp.kill() })
	go func() {
		lines := bufio.NewScanner(out)
		started := false
		for lines.Scan() {
			if !started && strings.Contains(lines.Text(), "receiving") {
				started = true
				ready <- nil
			}
		}
		if !started {
			ready <- fmt.Errorf("mhhs service %v did not start", args)
		}
	}()
	return sp, ready
}

// kill ends the process with SIGKILL, as a crash would.
func (sp *serviceProcess) kill() {
	if sp.cmd.ProcessState == nil {
		sp.cmd.Process.Kill()
		sp.cmd.Wait()
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// crashProxy forwards requests to a target, keeping the Host header (so
// that signatures made for the proxy's URL verify behind it). When crash
// says so for a request, it forwards it, takes the target's answer, then
// calls kill and answers 502 instead: the target did the work, and its
// caller never learns it.
type crashProxy struct {
	srv     *httptest.Server
	target  string
	crash   func(path string, body []byte) bool
	kill    func()
	crashed atomic.Int32
}

func newCrashProxy(t *testing.T, target string, crash func(path string, body []byte) bool, kill func()) *crashProxy {
	p := &crashProxy{target: target, crash: crash, kill: kill}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *crashProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, _ := http.NewRequestWithContext(r.Context(), r.Method, "http://"+p.target+r.URL.RequestURI(), bytes.NewReader(body))
	req.Header = r.Header.Clone()
	req.Host = r.Host
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if p.crash(r.URL.Path, body) {
		p.crashed.Add(1)
		p.kill()
		http.Error(w, "the service crashed before it answered", http.StatusBadGateway)
		return
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(answer)
}

// tallyOf reads a simulated party's record from its store.
func tallyOf(t *testing.T, st participant.Store) simparty.Tally {
	t.Helper()
	var tl simparty.Tally
	if _, err := st.Get(context.Background(), "tally", &tl); err != nil {
		t.Fatal(err)
	}
	return tl
}

func sqliteTally(t *testing.T, path, service string) simparty.Tally {
	t.Helper()
	s, err := sqlite.OpenServices(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	return tallyOf(t, s.Store(service))
}

// if021Energy is the energy of the test's IF-021 message n.
func if021Energy(t *testing.T, n int) market.Energy {
	p, err := catalogue.Default().Decode(if021Payload(t, n))
	if err != nil {
		t.Fatal(err)
	}
	var e market.Energy
	for _, d := range p.(*catalogue.IF021ActivePower).CustomBlock.B900.SettlementDayConsumptionPeriods {
		for _, v := range d.ConsumptionPeriods {
			e += v.V
		}
	}
	return e
}

// registerSupplier sends REGS's IF-001 registering supID as the test MPAN's
// supplier, so that IF-021 for it is routed to the supplier.
func registerSupplier(t *testing.T, url string, regs *party) {
	t.Helper()
	r, err := clientFor(t, url, regs).Send(context.Background(), "IF-001", if001(t))
	if err != nil || r.Status != 201 {
		t.Fatalf("IF-001: %v %v", r, err)
	}
}

// sendIF021 sends messages 0..n-1 from the data service and returns their
// total energy.
func sendIF021(t *testing.T, url string, sds *party, n int) market.Energy {
	t.Helper()
	c := clientFor(t, url, sds)
	var total market.Energy
	for i := range n {
		r, err := c.Send(context.Background(), "IF-021", if021(t, i))
		if err != nil || r.Status != 201 {
			t.Fatalf("IF-021 %d: %v %v", i, r, err)
		}
		total += if021Energy(t, i)
	}
	return total
}

// TestServiceProcessCrashBetweenReceiveAndAnswer runs the simulated
// supplier as its own process (mhhs service sim-supplier) behind a proxy
// that, for three deliveries, lets the supplier record them and then kills
// it with SIGKILL before its answer reaches the DIP. The DIP delivers those
// messages again to the restarted supplier; its inbox (by transaction id)
// must keep each message's effect single: the energy it totals is the sum
// of the messages sent, each once.
func TestServiceProcessCrashBetweenReceiveAndAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills a service")
	}
	bin := buildBinary(t)
	data, svcData := t.TempDir(), t.TempDir()
	regs := addPartyOn(t, data, "", "", regsID, "REGS")
	sds := addPartyOn(t, data, "", "", sdsID, "SDS")
	sup := addPartyOn(t, data, "", "", supID, "SUP")
	// Three crashes in a row, each with quick retries failing until the
	// supplier listens again: the DIP must not pause it meanwhile.
	srv := startServeProcess(t, bin, data, "", "--retry-attempts", "200", "--pause-after", "0")

	port := freePort(t)
	var mu sync.Mutex
	var svc *serviceProcess
	var proxy *crashProxy
	args := func() []string {
		return []string{"sim-supplier", "--dip-url", srv.url, "--dip-id", supID, "--key-file", sup.keyFile, "--cert-file", sup.certFile,
			"--api-key-file", sup.keyPath, "--listen", port, "--callback-url", proxy.srv.URL + "/", "--data", svcData}
	}
	deliveries := 0
	proxy = newCrashProxy(t, port, func(path string, body []byte) bool {
		if !bytes.Contains(body, []byte(`"interfaceID":"IF-021"`)) {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		deliveries++
		// The first three POSTs: the messages for the MPAN go together
		// (up to 50 a POST), and each crash is followed by a retry.
		return deliveries <= 3
	}, func() {
		// Kill the supplier and start it again at once, as a supervisor
		// would; the DIP's retries reach it once it listens.
		mu.Lock()
		defer mu.Unlock()
		svc.kill()
		ns, ready := spawnService(t, bin, args()...)
		if ns == nil {
			t.Error(<-ready)
			return
		}
		svc = ns
	})
	mu.Lock()
	svc = startServiceProcess(t, bin, args()...)
	mu.Unlock()

	registerSupplier(t, srv.url, regs)
	const n = 12
	total := sendIF021(t, srv.url, sds, n)
	tallyPath := filepath.Join(svcData, "services.db")
	waitFor(t, "the supplier to record every IF-021", func() bool {
		return sqliteTally(t, tallyPath, "sim-supplier").Messages["IF-021 [ActivePower]"] >= n
	})
	// Every message delivered (the DIP's journal), then the tally is final.
	waitSupplierDelivered(t, srv.url, sds, n)
	if proxy.crashed.Load() < 3 {
		t.Fatalf("the proxy crashed the supplier %d times, want 3", proxy.crashed.Load())
	}
	tl := sqliteTally(t, tallyPath, "sim-supplier")
	if got := tl.Messages["IF-021 [ActivePower]"]; got != n {
		t.Errorf("the supplier recorded %d IF-021, want %d: a redelivery was applied twice", got, n)
	}
	if got := tl.Energy[mpan]; got != total {
		t.Errorf("the supplier totals %s kWh, want %s", got, total)
	}
}

// waitSupplierDelivered waits until the DIP's journal shows the data
// service's IF-021 0..n-1 delivered to the supplier.
func waitSupplierDelivered(t *testing.T, url string, sds *party, n int) {
	t.Helper()
	c := clientFor(t, url, sds)
	for i := range n {
		ref := fmt.Sprintf("S-IF-021-%s-SDS-20250401-%d", sdsID, i)
		waitFor(t, ref+" delivered to the supplier", func() bool {
			rec, ok, err := c.DeliveryStatus(context.Background(), "IF-021", sdsID, ref)
			return err == nil && ok && slicesContains(statusesFor(rec, supID), "Delivered")
		})
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestServiceProcessISDOnPostgres runs mhhs serve and mhhs service isd as
// two processes on one PostgreSQL and publishes IF-047 end to end; the
// publisher is killed after the DIP accepted its announcement and before it
// could record it. Restarted, it announces again with the same reference:
// the DIP refuses the resend as a duplicate (MSG3001) and gives the first
// message's transaction id, which the publisher records; the supplier (in
// process in serve) receives the announcement exactly once.
func TestServiceProcessISDOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills a service")
	}
	store := storetest.PostgresSchema(t)
	bin := buildBinary(t)
	data := t.TempDir()
	isdParty := addPartyOn(t, data, store, "", "2000000001", "ISD")
	if code, out, errOut := runCLI(t, "", "isd", "init", "--store", store); code != exitOK {
		t.Fatalf("isd init: %s %s", out, errOut)
	}
	srv := startServeProcess(t, bin, data, store, "--services", "sim-supplier", "--retry-attempts", "200")
	dipAddr := strings.TrimPrefix(srv.url, "http://")

	var mu sync.Mutex
	var svc *serviceProcess
	var proxy *crashProxy
	announcements := 0
	proxy = newCrashProxy(t, dipAddr, func(path string, body []byte) bool {
		if path != "/dip-channel/IF-047" {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		announcements++
		return announcements == 1
	}, func() {
		mu.Lock()
		svc.kill()
		mu.Unlock()
	})
	args := []string{"isd", "--dip-url", proxy.srv.URL, "--dip-id", isdParty.id, "--key-file", isdParty.keyFile, "--cert-file", isdParty.certFile,
		"--api-key-file", isdParty.keyPath, "--store", store, "--download-base", srv.url}
	svc = startServiceProcess(t, bin, args...)
	waitFor(t, "the publisher's first announcement", func() bool { return proxy.crashed.Load() == 1 })
	svc.cmd.Wait()

	pg, err := postgres.Open(context.Background(), store)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if v, err := pg.Version(context.Background(), 1); err != nil || v.Number != 1 {
		t.Fatal(v.Number, err)
	}
	vs, _ := pg.Versions(context.Background())
	if !vs[0].Published.IsZero() {
		t.Fatal("version 1 recorded as published although the publisher died before it could record it")
	}
	c := clientFor(t, srv.url, isdParty)
	ref := (&catalogue.Sender{DIPID: isdParty.id, Role: "ISD"}).Reference("IF-047", storedVersionCreated(t, pg), isd.AnnouncementKey(1))
	first, ok, err := c.DeliveryStatus(context.Background(), "IF-047", isdParty.id, ref)
	if err != nil || !ok {
		t.Fatalf("the DIP has no journal of %s: %v", ref, err)
	}

	mu.Lock()
	svc = startServiceProcess(t, bin, args...)
	mu.Unlock()
	waitFor(t, "version 1 recorded as published", func() bool {
		vs, err := pg.Versions(context.Background())
		return err == nil && !vs[0].Published.IsZero()
	})
	vs, _ = pg.Versions(context.Background())
	if vs[0].PublishedTransactionID != first.DIPTransactionID {
		t.Errorf("recorded transaction %s, want the one the DIP accepted first, %s", vs[0].PublishedTransactionID, first.DIPTransactionID)
	}
	supplier := pg.ServiceStore("sim-supplier")
	waitFor(t, "the supplier to receive the announcement", func() bool {
		return tallyOf(t, supplier).Messages["IF-047 [ISD]"] >= 1
	})
	time.Sleep(300 * time.Millisecond) // polls at 20 ms: a second announcement would have arrived
	if got := tallyOf(t, supplier).Messages["IF-047 [ISD]"]; got != 1 {
		t.Errorf("the supplier received %d announcements of version 1, want 1", got)
	}
	if announcements < 2 {
		t.Errorf("the restarted publisher sent %d announcements in all, want the resend", announcements)
	}
}

func storedVersionCreated(t *testing.T, s isd.Store) time.Time {
	v, err := s.Version(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	return v.Created
}

// TestServicesInProcessCrash runs the simulated supplier inside mhhs serve
// and kills the whole process with SIGKILL while it is recording a stream
// of IF-021 (after it recorded some and before it recorded all), twice,
// restarting it each time. Deliveries the supplier recorded but the hub
// had not yet recorded as delivered come again; the totals must still count
// each message once.
func TestServicesInProcessCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	regs := addPartyOn(t, data, "", "", regsID, "REGS")
	sds := addPartyOn(t, data, "", "", sdsID, "SDS")
	srv := startServeProcess(t, bin, data, "", "--services", "sim-supplier")
	registerSupplier(t, srv.url, regs)
	const n = 300
	total := sendIF021(t, srv.url, sds, n)
	tallyPath := filepath.Join(data, "services.db")
	count := func() int { return sqliteTally(t, tallyPath, "sim-supplier").Messages["IF-021 [ActivePower]"] }
	for kill := 1; kill <= 2; kill++ {
		waitFor(t, "the supplier to be recording", func() bool { return count() >= kill*n/4 })
		if c := count(); c >= n {
			t.Logf("kill %d came after the supplier recorded all %d", kill, c)
		}
		srv.cmd.Process.Kill()
		srv.cmd.Wait()
		srv = startServeProcess(t, bin, data, "", "--services", "sim-supplier")
	}
	waitSupplierDelivered(t, srv.url, sds, n)
	tl := sqliteTally(t, tallyPath, "sim-supplier")
	if got := tl.Messages["IF-021 [ActivePower]"]; got != n {
		t.Errorf("the supplier recorded %d IF-021, want %d", got, n)
	}
	if got := tl.Energy[mpan]; got != total {
		t.Errorf("the supplier totals %s kWh, want %s", got, total)
	}
}
