package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/httpapi"
	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/metrics"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/regs"
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
	Archive       string // --archive: "" DATA/archive, "none" off
	TLSCert       string
	TLSKey        string
	ClientCA      string
	SkipSignature bool
	MaxBody       int64
	BodyMemory    int64         // --body-memory: request body bytes held at once (0: 8 × MaxBody)
	BodyTimeout   time.Duration // --body-timeout: a request body's time to arrive
	IdleTimeout   time.Duration // --idle-timeout: an idle keep-alive connection's life
	PollInterval  time.Duration
	PostTimeout   time.Duration
	Lease         time.Duration
	Owner         string
	DebugAddr     string // --debug-addr: Go's profiler (net/http/pprof) on a listener of its own; "" none
	Retry         dip.RetryPolicy
	ReplayPage    int
	MaskingFile   string
	GCPercent     int
	MaxProcs      int
	Services      string // --services: names of the services to run in process
	ServiceIDs    string // --service-ids: name=DIPID overrides
	PublicURL     string // the DIP's URL as participants reach it
	Environment   string // S1.environmentTag of the services' messages
	LogFormat     string // text or json
	LogLevel      string // debug, info, warn, error
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
	if c.BodyMemory != 0 && c.BodyMemory < 2*c.MaxBody {
		return fmt.Errorf("--body-memory (%d) must be at least twice --max-body (%d)", c.BodyMemory, c.MaxBody)
	}
	if _, err := serviceList(c.Services); err != nil {
		return fmt.Errorf("--services: %w", err)
	}
	if _, err := serviceIDs(c.ServiceIDs); err != nil {
		return err
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
		BodyTimeout: httpapi.DefaultBodyTimeout,
		IdleTimeout: 2 * time.Minute,
		Owner:       envOr(env.getenv, "MHHS_OWNER", hostOwner()),
		Retry:       dip.DefaultRetryPolicy(),
		PostTimeout: webhook.DefaultTimeout,
		Lease:       dip.DefaultLease,
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (port 0 picks a free port)")
	fs.StringVar(&cfg.DebugAddr, "debug-addr", "", "serve Go's profiler (/debug/pprof/) on this address, apart from the API (keep it on loopback; default none)")
	fs.StringVar(&cfg.Data, "data", cfg.Data, "data directory (embedded store, the DIP's generated key)")
	fs.StringVar(&cfg.Store, "store", cfg.Store, "store URL: postgres://… for PostgreSQL; default the SQLite database in --data")
	fs.StringVar(&cfg.DIPID, "dip-id", cfg.DIPID, "the DIP's own participant id")
	fs.StringVar(&cfg.KeyFile, "dip-key-file", cfg.KeyFile, "the DIP's signing key (PEM); default generated into --data")
	fs.StringVar(&cfg.CertFile, "dip-cert-file", cfg.CertFile, "the DIP's signing certificate (PEM)")
	fs.DurationVar(&cfg.Skew, "skew", cfg.Skew, "accepted clock skew of X-DIP-Signature-Date, both ways")
	fs.DurationVar(&cfg.Retention, "retention", cfg.Retention, "purge fully delivered messages older than this (0: keep), into --archive")
	fs.StringVar(&cfg.Archive, "archive", env.getenv("MHHS_ARCHIVE"), "archive directory of messages purged past --retention, a zstd file of JSON lines per day, where the journal still finds them (default DATA/archive; "+noArchive+": purge without archiving)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", "", "serve HTTPS with this certificate")
	fs.StringVar(&cfg.TLSKey, "tls-key", "", "key of --tls-cert")
	fs.StringVar(&cfg.ClientCA, "client-ca", "", "require client certificates signed by this CA (mTLS)")
	fs.BoolVar(&cfg.SkipSignature, "insecure-skip-signature", false, "accept requests without X-DIP-Signature headers (local sandboxes only)")
	fs.Int64Var(&cfg.MaxBody, "max-body", cfg.MaxBody, "largest request body in bytes")
	fs.Int64Var(&cfg.BodyMemory, "body-memory", 0, "request body bytes held at once across requests, at least twice --max-body; past it 503 (0: 8 × --max-body)")
	fs.DurationVar(&cfg.BodyTimeout, "body-timeout", cfg.BodyTimeout, "time a request body may take to arrive after its headers; past it 408 and the connection is closed")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", cfg.IdleTimeout, "close a keep-alive connection idle this long")
	fs.DurationVar(&cfg.PollInterval, "poll", 100*time.Millisecond, "delivery poll interval when idle")
	fs.DurationVar(&cfg.PostTimeout, "post-timeout", cfg.PostTimeout, "timeout of one webhook POST")
	fs.DurationVar(&cfg.Lease, "lease", cfg.Lease, "how long a process holds the deliveries it claims, longer than --post-timeout; on PostgreSQL a crashed process's claims are taken over after it (SQLite releases them at start)")
	fs.StringVar(&cfg.Owner, "owner", cfg.Owner, "this process's name in delivery claims, kept across its restarts (default the host name): on PostgreSQL a process started again under its name takes back its claims at once (docs/routing.md)")
	fs.DurationVar(&cfg.Retry.BaseDelay, "retry-base", cfg.Retry.BaseDelay, "first redelivery delay (doubles per attempt, ±20% jitter)")
	fs.DurationVar(&cfg.Retry.MaxDelay, "retry-max", cfg.Retry.MaxDelay, "longest redelivery delay")
	fs.IntVar(&cfg.Retry.MaxAttempts, "retry-attempts", cfg.Retry.MaxAttempts, "attempts before a delivery is RetriesExhausted")
	fs.IntVar(&cfg.Retry.PauseAfter, "pause-after", cfg.Retry.PauseAfter, "pause a recipient after this many consecutive failures (0: never)")
	fs.IntVar(&cfg.ReplayPage, "replay-page", 100, "messages per replay page")
	fs.StringVar(&cfg.MaskingFile, "masking", env.getenv("MHHS_MASKING_FILE"), "personal-data masking rules (JSON); default docs/routing.md")
	fs.IntVar(&cfg.GCPercent, "gc-percent", dip.GCPercent, "garbage collector target, as GOGC (the GOGC environment variable wins when set)")
	fs.IntVar(&cfg.MaxProcs, "gomaxprocs", dip.ProcsPerCPU*runtime.NumCPU(), "Go scheduler threads, as GOMAXPROCS (the GOMAXPROCS environment variable wins when set)")
	fs.StringVar(&cfg.Services, "services", env.getenv("MHHS_SERVICES"), "services to run in this process, comma-separated:\n"+serviceNames())
	fs.StringVar(&cfg.ServiceIDs, "service-ids", env.getenv("MHHS_SERVICE_IDS"), "DIP ids of the in-process services, as name=DIPID,… (default: each service's own)")
	fs.StringVar(&cfg.PublicURL, "public-url", env.getenv("MHHS_PUBLIC_URL"), "the DIP's URL as participants reach it, for the ISD downloads the isd service announces (default: http://ADDR)")
	fs.StringVar(&cfg.LogFormat, "log-format", envOr(env.getenv, "MHHS_LOG_FORMAT", "text"), "log format: text or json (structured, one object a line)")
	fs.StringVar(&cfg.LogLevel, "log-level", envOr(env.getenv, "MHHS_LOG_LEVEL", "info"), "log level: debug (every delivery round), info (requests, submissions), warn (failed deliveries, pauses), error")
	fs.StringVar(&cfg.Environment, "environment", envOr(env.getenv, "MHHS_ENVIRONMENT", "DEV"), "S1.environmentTag of the in-process services' messages: PRD, SITB, SIT, UIT or DEV")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if err := cfg.validate(); err != nil {
		fmt.Fprintln(env.stderr, "mhhs serve:", err)
		return exitUsage
	}
	log, err := newLogger(env.stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		fmt.Fprintln(env.stderr, "mhhs serve:", err)
		return exitUsage
	}
	if err := runServe(env, cfg, log); err != nil {
		fmt.Fprintln(env.stderr, "mhhs serve:", err)
		return exitFail
	}
	return exitOK
}

func hostOwner() string {
	h, _ := os.Hostname()
	return cmpOr(h, "mhhs")
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
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if cfg.DebugAddr != "" {
		dl, err := net.Listen("tcp", cfg.DebugAddr)
		if err != nil {
			return fmt.Errorf("--debug-addr: %w", err)
		}
		defer dl.Close()
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		fmt.Fprintf(env.stdout, "mhhs serve: profiler on http://%s/debug/pprof/\n", dl.Addr())
		go http.Serve(dl, mux) // ends when dl closes
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = scheme + "://" + ln.Addr().String()
	}
	var standing isd.Store
	if is, ok := store.(isd.Store); ok {
		standing = is
	}
	services, closeServices, err := localServices(ctx, cfg, store, standing, log)
	if err != nil {
		return err
	}
	defer closeServices()
	var locals []dip.LocalService
	// The REGS read API: REGS's store when REGS runs in this process or
	// shares the DIP's PostgreSQL database (mhhs service regs on it).
	var registrations httpapi.Registrations
	if pg, ok := store.(interface{ Regs() regs.Store }); ok {
		registrations = pg.Regs()
	}
	for _, s := range services {
		if r, ok := s.svc.(*regs.Service); ok {
			registrations = r.Store // REGS in process: serve its read API
		}
		if chs := s.svc.Channels(); len(chs) > 0 {
			locals = append(locals, dip.LocalService{DIPID: s.id, Handler: s.svc, Channels: chs})
		}
	}
	archiver, closeArchive, err := openArchive(cfg.Archive, cfg.Data)
	if err != nil {
		return err
	}
	defer closeArchive()
	var hub *dip.Hub
	obs := metrics.New(hubSource{&hub})
	hub = dip.NewHub(store, dip.Config{
		Webhooks:     webhook.Deliverer{Poster: &webhook.Poster{Signer: signer, Timeout: cfg.PostTimeout}},
		Services:     locals,
		Observer:     obs,
		Owner:        cfg.Owner,
		Lease:        cfg.Lease,
		PollInterval: cfg.PollInterval,
		Retry:        cfg.Retry,
		Masking:      masking,
		Logger:       log,
		Archive:      archiver,
	})
	if err := hub.Refresh(ctx); err != nil {
		return err
	}
	api, err := httpapi.New(httpapi.Config{Hub: hub, Verifier: &signature.Verifier{MaxSkew: cfg.Skew}, DIPID: cfg.DIPID,
		MaxBodyBytes: cfg.MaxBody, BodyMemory: cfg.BodyMemory, BodyTimeout: cfg.BodyTimeout, SkipSignature: cfg.SkipSignature, ReplayPage: cfg.ReplayPage, Logger: log, ISD: standing,
		CertificatePEM: signer.CertificatePEM(), Metrics: obs.Handler(), Registrations: registrations})
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: cfg.IdleTimeout}
	if cfg.TLSCert != "" {
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
	for _, s := range services {
		fmt.Fprintf(env.stdout, "mhhs serve: service %s in process as participant %s\n", s.spec.name, s.id)
	}

	// One supervisor: the first worker to fail stops the others, and the
	// process exits with its error. Shutdown runs in order: HTTP intake,
	// the services, then the hub (which closes intake, commits what was
	// queued, and ends delivery), then the store (deferred).
	hubCtx, stopHub := context.WithCancel(context.Background())
	defer stopHub()
	svcCtx, stopServices := context.WithCancel(context.Background())
	defer stopServices()
	g, gctx := errgroup.WithContext(context.Background())
	hubDone := make(chan struct{})
	g.Go(func() error {
		defer close(hubDone)
		if err := hub.Run(hubCtx); err != nil {
			return fmt.Errorf("the hub stopped: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		var err error
		if cfg.TLSCert != "" {
			err = srv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
		} else {
			err = srv.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("the HTTP server stopped: %w", err)
	})
	if cfg.Retention > 0 {
		g.Go(func() error { purge(hubCtx, store, archiver, cfg.Retention, log); return nil })
	}
	for _, s := range services {
		g.Go(func() error { return runService(svcCtx, s.spec.name, s.svc, hub.Sender(s.id), log) })
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down: HTTP, then the services, then the hub, then the store")
	case <-gctx.Done():
		log.Error("a worker failed: shutting down")
	case <-hubDone:
		log.Error("the hub stopped: shutting down")
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(shutCtx)
	stopServices()
	stopHub()
	return g.Wait()
}

// hubSource reads the queue metrics from the hub once it is made.
type hubSource struct{ h **dip.Hub }

func (s hubSource) Queues(ctx context.Context) ([]dip.QueueStat, error) { return (*s.h).Queues(ctx) }

func (s hubSource) RecipientStates(ctx context.Context) ([]dip.RecipientState, error) {
	return (*s.h).RecipientStates(ctx)
}

// localService is a service running inside mhhs serve.
type localService struct {
	spec serviceSpec
	id   string
	svc  participant.Service
}

// localServices builds the services of --services, registering each as a
// participant of the DIP when it is not yet one: a service in process
// needs no API key or certificate, as it sends with a function call. Their
// own state is in DATA/services.db (SQLite) or in the service tables of
// the PostgreSQL store.
func localServices(ctx context.Context, cfg serveConfig, store dip.Store, standing isd.Store, log *slog.Logger) ([]localService, func(), error) {
	specs, _ := serviceList(cfg.Services)
	ids, _ := serviceIDs(cfg.ServiceIDs)
	if len(specs) == 0 {
		return nil, func() {}, nil
	}
	stores, closeStores, err := openServiceStores(ctx, cfg.Store, cfg.Data, store)
	if err != nil {
		return nil, nil, err
	}
	registered, err := store.Participants(ctx)
	if err != nil {
		closeStores()
		return nil, nil, err
	}
	var out []localService
	for _, spec := range specs {
		id := cmpOr(ids[spec.name], spec.defaultID)
		if _, err := market.ParseDIPID(id); err != nil {
			closeStores()
			return nil, nil, fmt.Errorf("service %s: %w", spec.name, err)
		}
		i := slices.IndexFunc(registered, func(p dip.Participant) bool { return p.DIPID == id })
		switch {
		case i < 0:
			p := dip.Participant{DIPID: id, Name: spec.name + " (in process)", Roles: []string{spec.role}, Created: time.Now()}
			if err := store.PutParticipant(ctx, p); err != nil {
				closeStores()
				return nil, nil, err
			}
		case !slices.Contains(registered[i].Roles, spec.role):
			closeStores()
			return nil, nil, fmt.Errorf("service %s: participant %s is registered without role %s", spec.name, id, spec.role)
		}
		svc, err := newService(spec, serviceDeps{id: id, store: stores.Store(spec.name), stores: stores, isdStore: standing, registry: store,
			downloadBase: cfg.PublicURL, environment: cfg.Environment, log: log.With("service", spec.name)})
		if err != nil {
			closeStores()
			return nil, nil, err
		}
		out = append(out, localService{spec: spec, id: id, svc: svc})
	}
	return out, closeStores, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// storeName names the store for the start-up line: a URL without its
// password.
func storeName(cfg serveConfig) string {
	if cfg.Store != "" {
		return redactURL(cfg.Store)
	}
	return filepath.Join(cfg.Data, "mhhs.db")
}

// redactURL hides the password of a URL (and of a password= parameter).
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable store URL)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// newLogger returns the structured logger of --log-format and --log-level.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
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

// purge deletes fully delivered messages older than the retention, hourly:
// into the archive first when there is one (dip.PurgeArchive).
func purge(ctx context.Context, store dip.Store, arch dip.Archiver, retention time.Duration, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	idx, indexed := store.(dip.ArchiveIndex)
	for {
		cutoff := time.Now().Add(-retention)
		var n int
		var err error
		if arch != nil && indexed {
			n, err = dip.PurgeArchive(ctx, idx, arch, cutoff)
		} else {
			n, err = store.Purge(ctx, cutoff)
		}
		if err != nil && ctx.Err() == nil {
			log.Error("purge", "err", err, "archived and deleted", n)
		} else if n > 0 {
			log.Info("purged delivered messages", "count", n, "archived", arch != nil && indexed)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
