package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/httpapi"
	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/signature"
	"github.com/mhhs/mhhs/internal/webhook"
)

// serveConfig is the configuration of mhhs serve: defaults, then MHHS_*
// environment, then flags.
type serveConfig struct {
	Addr          string
	Data          string
	Store         string
	DIPID         string
	KeyFile       string
	CertFile      string
	Skew          time.Duration
	Retention     time.Duration
	TLSCert       string
	TLSKey        string
	ClientCA      string
	SkipSignature bool
	MaxBody       int64
	PollInterval  time.Duration
	PostTimeout   time.Duration
	Lease         time.Duration
	Owner         string
	Retry         dip.RetryPolicy
	ReplayPage    int
	MaskingFile   string
	GCPercent     int
	MaxProcs      int
}

func (c *serveConfig) validate() error {
	if c.Addr == "" {
		return errors.New("--addr is required")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if c.ClientCA != "" && c.TLSCert == "" {
		return errors.New("--client-ca (mTLS) needs --tls-cert and --tls-key")
	}
	if (c.KeyFile == "") != (c.CertFile == "") {
		return errors.New("--dip-key-file and --dip-cert-file go together")
	}
	if c.PostTimeout <= 0 || c.Lease <= c.PostTimeout {
		// A claim that ran out during its POST could be taken and sent again
		// by another process while the first is still sending.
		return fmt.Errorf("--lease (%v) must be longer than --post-timeout (%v), and both positive", c.Lease, c.PostTimeout)
	}
	return nil
}

// serve runs the DIP: the API on --addr and the hub's committers and
// delivery workers, until interrupted; then it drains in order: HTTP, the
// hub, the store.
func serve(env *cmdEnv, args []string) int {
	cfg := serveConfig{
		Addr:        envOr(env.getenv, "MHHS_ADDR", "127.0.0.1:8080"),
		Data:        envOr(env.getenv, "MHHS_DATA", "./mhhs-data"),
		Store:       env.getenv("MHHS_STORE"),
		DIPID:       envOr(env.getenv, "MHHS_DIP_ID", "0000000001"),
		KeyFile:     env.getenv("MHHS_DIP_KEY_FILE"),
		CertFile:    env.getenv("MHHS_DIP_CERT_FILE"),
		Skew:        5 * time.Minute,
		Retention:   90 * 24 * time.Hour,
		MaxBody:     32 << 20,
		Owner:       envOr(env.getenv, "MHHS_OWNER", hostOwner()),
		Retry:       dip.DefaultRetryPolicy(),
		PostTimeout: webhook.DefaultTimeout,
		Lease:       dip.DefaultLease,
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (port 0 picks a free port)")
	fs.StringVar(&cfg.Data, "data", cfg.Data, "data directory (embedded store, the DIP's generated key)")
	fs.StringVar(&cfg.Store, "store", cfg.Store, "store URL: postgres://… for PostgreSQL; default the SQLite database in --data")
	fs.StringVar(&cfg.DIPID, "dip-id", cfg.DIPID, "the DIP's own participant id")
	fs.StringVar(&cfg.KeyFile, "dip-key-file", cfg.KeyFile, "the DIP's signing key (PEM); default generated into --data")
	fs.StringVar(&cfg.CertFile, "dip-cert-file", cfg.CertFile, "the DIP's signing certificate (PEM)")
	fs.DurationVar(&cfg.Skew, "skew", cfg.Skew, "accepted clock skew of X-DIP-Signature-Date, both ways")
	fs.DurationVar(&cfg.Retention, "retention", cfg.Retention, "purge fully delivered messages older than this (0: keep)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "serve HTTPS with this certificate")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "key of --tls-cert")
	fs.StringVar(&cfg.ClientCA, "client-ca", "", "require client certificates signed by this CA (mTLS)")
	fs.BoolVar(&cfg.SkipSignature, "insecure-skip-signature", false, "accept requests without X-DIP-Signature headers (local sandboxes only)")
	fs.Int64Var(&cfg.MaxBody, "max-body", cfg.MaxBody, "largest request body in bytes")
	fs.DurationVar(&cfg.PollInterval, "poll", 100*time.Millisecond, "delivery poll interval when idle")
	fs.DurationVar(&cfg.PostTimeout, "post-timeout", cfg.PostTimeout, "timeout of one webhook POST")
	fs.DurationVar(&cfg.Lease, "lease", cfg.Lease, "how long a process holds the deliveries it claims, longer than --post-timeout; on PostgreSQL a crashed process's claims are taken over after it (SQLite releases them at start)")
	fs.DurationVar(&cfg.Retry.BaseDelay, "retry-base", cfg.Retry.BaseDelay, "first redelivery delay (doubles per attempt, ±20% jitter)")
	fs.DurationVar(&cfg.Retry.MaxDelay, "retry-max", cfg.Retry.MaxDelay, "longest redelivery delay")
	fs.IntVar(&cfg.Retry.MaxAttempts, "retry-attempts", cfg.Retry.MaxAttempts, "attempts before a delivery is RetriesExhausted")
	fs.IntVar(&cfg.Retry.PauseAfter, "pause-after", cfg.Retry.PauseAfter, "pause a recipient after this many consecutive failures (0: never)")
	fs.IntVar(&cfg.ReplayPage, "replay-page", 100, "messages per replay page")
	fs.StringVar(&cfg.MaskingFile, "masking", env.getenv("MHHS_MASKING_FILE"), "personal-data masking rules (JSON); default docs/routing.md")
	fs.IntVar(&cfg.GCPercent, "gc-percent", dip.GCPercent, "garbage collector target, as GOGC (the GOGC environment variable wins when set)")
	fs.IntVar(&cfg.MaxProcs, "gomaxprocs", dip.ProcsPerCPU*runtime.NumCPU(), "Go scheduler threads, as GOMAXPROCS (the GOMAXPROCS environment variable wins when set)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if err := cfg.validate(); err != nil {
		fmt.Fprintln(env.stderr, "mhhs serve:", err)
		return exitUsage
	}
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := runServe(env, cfg, log); err != nil {
		fmt.Fprintln(env.stderr, "mhhs serve:", err)
		return exitFail
	}
	return exitOK
}

func hostOwner() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s-%d", h, os.Getpid())
}

func runServe(env *cmdEnv, cfg serveConfig, log *slog.Logger) error {
	if env.getenv("GOGC") == "" {
		debug.SetGCPercent(cfg.GCPercent)
	}
	if env.getenv("GOMAXPROCS") == "" && cfg.MaxProcs > 0 {
		runtime.GOMAXPROCS(cfg.MaxProcs)
	}
	ctx := env.ctx
	store, err := openStore(ctx, cfg.Store, cfg.Data, true)
	if err != nil {
		return err
	}
	defer store.Close()
	signer, err := dipSigner(cfg)
	if err != nil {
		return err
	}
	var masking *dip.Masking
	if cfg.MaskingFile != "" {
		f, err := os.Open(cfg.MaskingFile)
		if err != nil {
			return err
		}
		masking, err = dip.LoadMasking(f, catalogue.Default())
		f.Close()
		if err != nil {
			return err
		}
	}
	hubCtx, stopHub := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHub()
	hub := dip.NewHub(store, dip.Config{
		Webhooks:     webhook.Deliverer{Poster: &webhook.Poster{Signer: signer, Timeout: cfg.PostTimeout}},
		Owner:        cfg.Owner,
		Lease:        cfg.Lease,
		PollInterval: cfg.PollInterval,
		Retry:        cfg.Retry,
		Masking:      masking,
		Logger:       log,
	})
	if err := hub.Refresh(ctx); err != nil {
		return err
	}
	var standing isd.Store
	if is, ok := store.(isd.Store); ok {
		standing = is
	}
	api, err := httpapi.New(httpapi.Config{Hub: hub, Verifier: &signature.Verifier{MaxSkew: cfg.Skew}, DIPID: cfg.DIPID,
		MaxBodyBytes: cfg.MaxBody, SkipSignature: cfg.SkipSignature, ReplayPage: cfg.ReplayPage, Logger: log, ISD: standing})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if cfg.ClientCA != "" {
			pem, err := os.ReadFile(cfg.ClientCA)
			if err != nil {
				return err
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return fmt.Errorf("--client-ca %s holds no certificate", cfg.ClientCA)
			}
			tc.ClientCAs, tc.ClientAuth = pool, tls.RequireAndVerifyClientCert
		}
		srv.TLSConfig = tc
	}
	fmt.Fprintf(env.stdout, "mhhs serve: DIP API on %s://%s (store %s)\n", scheme, ln.Addr(), storeName(cfg))

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); hub.Run(hubCtx) }()
	if cfg.Retention > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			purge(hubCtx, store, cfg.Retention, log)
		}()
	}
	serveErr := make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" {
			serveErr <- srv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
		} else {
			serveErr <- srv.Serve(ln)
		}
	}()
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stopHub()
		wg.Wait()
		return err
	}
	log.Info("shutting down: HTTP, then deliveries, then the store")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(shutCtx)
	stopHub()
	wg.Wait()
	return nil
}

func storeName(cfg serveConfig) string {
	if cfg.Store != "" {
		return cfg.Store
	}
	return filepath.Join(cfg.Data, "mhhs.db")
}

// dipSigner loads the DIP's signing key, or generates one into the data
// directory on first start.
func dipSigner(cfg serveConfig) (*signature.Signer, error) {
	keyFile, certFile := cfg.KeyFile, cfg.CertFile
	if keyFile == "" {
		keyFile, certFile = filepath.Join(cfg.Data, "dip-key.pem"), filepath.Join(cfg.Data, "dip-cert.pem")
		if _, err := os.Stat(keyFile); errors.Is(err, os.ErrNotExist) {
			keyPEM, certPEM, err := signature.GenerateSelfSigned(cfg.DIPID, 2048, time.Now())
			if err != nil {
				return nil, err
			}
			if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
				return nil, err
			}
			if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
				return nil, err
			}
			if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
				return nil, err
			}
		}
	}
	key, certPEM, err := signature.LoadKeyPairFiles(keyFile, certFile)
	if err != nil {
		return nil, err
	}
	return signature.NewSigner(key, certPEM)
}

// purge deletes fully delivered messages older than the retention, hourly.
func purge(ctx context.Context, store dip.Store, retention time.Duration, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := store.Purge(ctx, time.Now().Add(-retention))
		if err != nil && ctx.Err() == nil {
			log.Error("purge", "err", err)
		} else if n > 0 {
			log.Info("purged delivered messages", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
