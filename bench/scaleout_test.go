package bench

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/httpapi"
	"github.com/mhhs/mhhs/internal/postgres"
	"github.com/mhhs/mhhs/internal/signature"
	"github.com/mhhs/mhhs/internal/storetest"
)

// BenchmarkHTTPScaleOut is the HTTP capacity benchmark against two `mhhs
// serve` processes sharing one PostgreSQL database, the load spread over
// both, with signatures both ways and the same fan-out of three: what a
// scale-out deployment takes in aggregate, to read beside the same run's
// BenchmarkHTTP/capacity (one hub on SQLite). Issue 13's target is ≥ 3.8 k
// msgs/s accepted in aggregate with an end-to-end p99 ≤ 1 s (a GB day is
// about 40 M messages, its peak hour near 1.9 k msgs/s). It needs
// MHHS_TEST_POSTGRES; MHHS_BENCH_DEBUG_PORT=P serves the processes' profilers on P and P+1.
func BenchmarkHTTPScaleOut(b *testing.B) {
	store := storetest.PostgresSchema(b)
	dir := b.TempDir()
	bin := filepath.Join(dir, "mhhs")
	if out, err := exec.Command("go", "build", "-C", "..", "-o", bin, "./cmd/mhhs").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	// One DIP signing key for both processes, as a deployment has.
	dipKey, dipCert, err := signature.GenerateSelfSigned("0000000001", 2048, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	keyFile, certFile := filepath.Join(dir, "dip-key.pem"), filepath.Join(dir, "dip-cert.pem")
	os.WriteFile(keyFile, dipKey, 0o600)
	os.WriteFile(certFile, dipCert, 0o644)
	cert, _ := signature.ParseCertificatePEM(dipCert)
	dipFP := signature.CertificateFingerprint(cert)

	ctx := context.Background()
	db, err := postgres.Open(ctx, store)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	senderKey, senderCert, err := signature.GenerateSelfSigned(if021Sender, 2048, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	sc, _ := signature.ParseCertificatePEM(senderCert)
	apiKey, hash := dip.NewAPIKey()
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(db.PutParticipant(ctx, dip.Participant{DIPID: if021Sender, Roles: []string{"SDS"}, APIKeyHash: hash,
		CertFingerprint: signature.CertificateFingerprint(sc), Created: time.Now()}))
	for _, p := range recipients {
		must(db.PutParticipant(ctx, dip.Participant{DIPID: p.id, Roles: []string{p.role}, Created: time.Now()}))
	}

	var urls []string
	for i := range 2 {
		cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--store", store, "--data", filepath.Join(dir, "p"+string(rune('a'+i))),
			"--dip-key-file", keyFile, "--dip-cert-file", certFile, "--poll", "20ms", "--log-level", "warn")
		if port, err := strconv.Atoi(os.Getenv("MHHS_BENCH_DEBUG_PORT")); err == nil {
			// Profile the processes: go tool pprof http://127.0.0.1:PORT/debug/pprof/profile
			cmd.Args = append(cmd.Args, "--debug-addr", "127.0.0.1:"+strconv.Itoa(port+i))
		}
		out, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			if j := strings.Index(lines.Text(), "DIP API on "); j >= 0 {
				urls = append(urls, strings.Fields(lines.Text()[j+len("DIP API on "):])[0])
				break
			}
		}
		go func() {
			for lines.Scan() {
			}
		}()
	}
	if len(urls) != 2 {
		b.Fatal("the serve processes did not start")
	}
	d, hooks, stop, err := newLoadSide(urls[0], apiKey, senderKey, senderCert, dipFP)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	for i, p := range recipients {
		must(db.PutWebhook(ctx, dip.Webhook{Channel: "IF-021", Recipient: p.id, CallbackURL: hooks[i]}))
	}
	second := *d.client
	second.BaseURL = urls[1]
	time.Sleep(1500 * time.Millisecond) // each process reloads webhooks every second
	d.capacity(b, []*httpapi.Client{d.client, &second})
}
