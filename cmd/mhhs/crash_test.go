package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/storetest"
)

// serveProcess runs the mhhs binary's serve command as a separate process.
type serveProcess struct {
	cmd *exec.Cmd
	url string
}

// startServeProcess starts `mhhs serve` on the data directory and store,
// with quick polls and retries, a short lease, and then extra's flags.
func startServeProcess(t *testing.T, bin, data, store string, extra ...string) *serveProcess {
	t.Helper()
	// A short lease: on PostgreSQL the killed process's claims are taken
	// over when it runs out.
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--poll", "20ms", "--retry-base", "20ms", "--retry-max", "200ms",
		"--post-timeout", "1s", "--lease", "2s"}
	if store != "" {
		args = append(args, "--store", store)
	}
	cmd := exec.Command(bin, append(args, extra...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sp := &serveProcess{cmd: cmd}
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if i := strings.Index(lines.Text(), "DIP API on "); i >= 0 {
			sp.url = strings.Fields(lines.Text()[i+len("DIP API on "):])[0]
			break
		}
	}
	go func() {
		for lines.Scan() {
		}
	}()
	if sp.url == "" {
		cmd.Process.Kill()
		t.Fatal("mhhs serve did not start")
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return sp
}

// receivedRefs returns the senderUniqueReferences an inbox has received.
func receivedRefs(ib *inbox) map[string]int {
	ib.mu.Lock()
	defer ib.mu.Unlock()
	out := map[string]int{}
	for _, m := range ib.msgs {
		var p struct {
			CommonBlock struct {
				S1 struct {
					SenderUniqueReference string `json:"senderUniqueReference"`
				} `json:"S1"`
			} `json:"CommonBlock"`
		}
		json.Unmarshal(m.Payload, &p)
		out[p.CommonBlock.S1.SenderUniqueReference]++
	}
	return out
}

// webhookInboxes gives each party an inbox that verifies the DIP's
// signatures (the DIP's certificate is in data) and configures it as the
// party's IF-021 webhook through the DIP at url.
func webhookInboxes(t *testing.T, url, data string, parties ...*party) map[string]*inbox {
	t.Helper()
	dipCert, err := os.ReadFile(filepath.Join(data, "dip-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	inboxes := map[string]*inbox{}
	for _, p := range parties {
		ib := newInbox(t, dipCert, p.id)
		inboxes[p.id] = ib
		if err := clientFor(t, url, p).ConfigureWebhook(context.Background(), "IF-021", p.id, ib.srv.URL); err != nil {
			t.Fatal(err)
		}
	}
	return inboxes
}

// waitDelivered waits until every accepted reference has reached every
// inbox, and reports any reference an inbox received that was never
// accepted.
func waitDelivered(t *testing.T, inboxes map[string]*inbox, accepted map[string]bool) {
	t.Helper()
	for id, ib := range inboxes {
		waitFor(t, "every accepted message at "+id, func() bool {
			got := receivedRefs(ib)
			for ref := range accepted {
				if got[ref] == 0 {
					return false
				}
			}
			return true
		})
		for ref := range receivedRefs(ib) {
			if !accepted[ref] {
				t.Errorf("%s received %s, which the DIP never accepted", id, ref)
			}
		}
	}
}

// TestCrashRecovery kills `mhhs serve` with SIGKILL while senders submit and
// deliveries are in flight, restarts it on the same data, and checks that
// every message answered 201 reaches each recipient at least once, that no
// recipient gets a message that was never accepted, and that a message whose
// answer was lost in the crash is either accepted on resend (201) or refused
// as a duplicate (MSG3001) of one the DIP did accept and then delivers.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it")
	}
	crashRecovery(t, "")
}

// TestCrashRecoveryPostgres is TestCrashRecovery with the store on
// PostgreSQL, where a group commit is an implicit transaction sent as one
// pipeline, and a message is answered 201 once its commit has returned.
func TestCrashRecoveryPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it")
	}
	crashRecovery(t, storetest.PostgresSchema(t))
}

// buildBinary builds the mhhs binary for tests that run it as a process.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mhhs")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// crashRecovery is the crash test on the store at URL store ("": the
// embedded SQLite store in the data directory).
func crashRecovery(t *testing.T, store string) {
	bin := buildBinary(t)
	data := t.TempDir()
	sds := addPartyOn(t, data, store, "", sdsID, "SDS")
	mds := addPartyOn(t, data, store, "", mdsID, "MDS")
	lss := addPartyOn(t, data, store, "", lssID, "LSS")

	srv := startServeProcess(t, bin, data, store)
	ctx := context.Background()
	inboxes := webhookInboxes(t, srv.url, data, mds, lss)

	// Eight senders send until the kill; each records what happened to every
	// message: accepted (201), unknown (no answer), or rejected.
	var mu sync.Mutex
	accepted, unknown := map[string]bool{}, map[string]int{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			c := clientFor(t, srv.url, sds)
			c.HTTP = httpClientWithTimeout(3 * time.Second)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				n := g*100000 + i
				ref := fmt.Sprintf("S-IF-021-%s-SDS-20250401-%d", sdsID, n)
				r, err := c.Send(ctx, "IF-021", if021(t, n))
				mu.Lock()
				switch {
				case err != nil:
					unknown[ref] = n
				case r.Status == 201:
					accepted[ref] = true
				default:
					t.Errorf("message %s: %d %s", ref, r.Status, r.Body)
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}(g)
	}
	// Let intake and deliveries run, then kill the process mid-flight.
	waitFor(t, "200 accepted messages", func() bool { mu.Lock(); defer mu.Unlock(); return len(accepted) >= 200 })
	if err := srv.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	srv.cmd.Wait()
	close(stop)
	wg.Wait()
	delivered := len(receivedRefs(inboxes[mdsID]))
	t.Logf("killed with %d messages answered 201, %d unanswered, %d delivered to MDS", len(accepted), len(unknown), delivered)

	srv = startServeProcess(t, bin, data, store)
	// Resend what got no answer: 201 (it was not committed) or MSG3001 (it was).
	c := clientFor(t, srv.url, sds)
	for ref, n := range unknown {
		r, err := c.Send(ctx, "IF-021", if021(t, n))
		if err != nil {
			t.Fatal(err)
		}
		its := items(t, r)
		switch {
		case r.Status == 201:
			accepted[ref] = true
		case msgOf(its[0]) == catalogue.MSG3001.Message():
			accepted[ref] = true // the DIP had accepted it before the crash
		default:
			t.Errorf("resend of %s: %d %s", ref, r.Status, r.Body)
		}
	}
	waitDelivered(t, inboxes, accepted)
	dups := 0
	for _, n := range receivedRefs(inboxes[mdsID]) {
		dups += n - 1
	}
	t.Logf("after restart: %d accepted messages delivered to MDS and LSS (%d redelivered: at-least-once)", len(accepted), dups)
}

func httpClientWithTimeout(d time.Duration) *http.Client { return &http.Client{Timeout: d} }

// TestTwoServeProcessesSharePostgres runs two `mhhs serve` processes on one
// PostgreSQL database, sends to both, and checks that every accepted message
// reaches each recipient exactly once: the processes share intake and
// delivery (SKIP LOCKED claims, the accept lock) without delivering a
// message twice when nothing fails. Each process learns the webhooks
// configured through the other from the database.
func TestTwoServeProcessesSharePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it twice")
	}
	store := storetest.PostgresSchema(t)
	bin := buildBinary(t)
	data := t.TempDir() // both processes: the parties' keys and the DIP's, generated by the first
	sds := addPartyOn(t, data, store, "", sdsID, "SDS")
	mds := addPartyOn(t, data, store, "", mdsID, "MDS")
	lss := addPartyOn(t, data, store, "", lssID, "LSS")
	// The default lease and POST timeout: no claim runs out in this test,
	// so a message delivered twice is a double claim.
	defaults := []string{"--post-timeout", "10s", "--lease", "30s"}
	srvs := []*serveProcess{startServeProcess(t, bin, data, store, defaults...)}
	srvs = append(srvs, startServeProcess(t, bin, data, store, defaults...))
	ctx := context.Background()
	inboxes := webhookInboxes(t, srvs[0].url, data, mds, lss)
	// Four senders, two on each process, 50 messages each.
	var mu sync.Mutex
	accepted := map[string]bool{}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clientFor(t, srvs[g%2].url, sds)
			for i := range 50 {
				n := g*1000 + i
				r, err := c.Send(ctx, "IF-021", if021(t, n))
				if err != nil || r.Status != 201 {
					t.Errorf("message %d to process %d: %v %v", n, g%2, r, err)
					return
				}
				mu.Lock()
				accepted[fmt.Sprintf("S-IF-021-%s-SDS-20250401-%d", sdsID, n)] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	waitDelivered(t, inboxes, accepted)
	time.Sleep(200 * time.Millisecond) // ten polls: a second delivery would have come
	for id, ib := range inboxes {
		for ref, n := range receivedRefs(ib) {
			if n != 1 {
				t.Errorf("%s received %s %d times", id, ref, n)
			}
		}
	}
}
