package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/httpapi"
	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/signature"
	"github.com/mhhs/mhhs/internal/webhook"
)

const serviceUsage = `usage: mhhs service NAME --dip-url URL --dip-id ID --key-file F --cert-file F --api-key-file F --listen ADDR [flags]

Runs one service as its own process against a DIP (local or remote): it
receives on a signed webhook it serves on --listen and registers with the
DIP for each channel it takes, and sends through the DIP's API as its
participant. The participant must be registered with the DIP first
(mhhs participant add). Services:
`

// serviceCmd runs one service as its own process: the same service code as
// mhhs serve --services runs in process, here behind the verifying webhook
// receiver and the signing HTTP client.
func serviceCmd(env *cmdEnv, args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprint(env.stdout, serviceUsage+serviceNames())
			return exitOK
		}
		fmt.Fprint(env.stderr, serviceUsage+serviceNames())
		return exitUsage
	}
	spec, err := serviceSpecOf(args[0])
	if err != nil {
		fmt.Fprintf(env.stderr, "mhhs service: %v\n", err)
		return exitUsage
	}
	fs := flag.NewFlagSet("service "+spec.name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	cf := addClientFlags(fs, env.getenv)
	fs.StringVar(cf.url, "dip-url", *cf.url, "the DIP's base URL (as --url)")
	listen := fs.String("listen", envOr(env.getenv, "MHHS_LISTEN", "127.0.0.1:0"), "address of the service's webhook receiver")
	callback := fs.String("callback-url", env.getenv("MHHS_CALLBACK_URL"), "the receiver's URL as the DIP reaches it (default http://LISTEN/)")
	dipCert := fs.String("dip-cert-file", env.getenv("MHHS_DIP_CERT_FILE"), "the DIP's signing certificate (PEM), the only one the receiver trusts (default: fetched from the DIP's /dip-certificate at start)")
	sf := addStoreFlags(fs, env.getenv)
	downloadBase := fs.String("download-base", "", "isd: the URL the announced assets download from (default the DIP's URL)")
	environment := fs.String("environment", envOr(env.getenv, "MHHS_ENVIRONMENT", "DEV"), "S1.environmentTag of the service's messages")
	logFormat := fs.String("log-format", envOr(env.getenv, "MHHS_LOG_FORMAT", "text"), "log format: text or json")
	logLevel := fs.String("log-level", envOr(env.getenv, "MHHS_LOG_LEVEL", "info"), "log level: debug, info, warn or error")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(env.stderr, "mhhs service %s: unexpected arguments %q\n", spec.name, fs.Args())
		return exitUsage
	}
	cl, err := cf.client()
	if err != nil {
		fmt.Fprintf(env.stderr, "mhhs service %s: %v\n", spec.name, err)
		return exitUsage
	}
	logger, err := newLogger(env.stderr, *logFormat, *logLevel)
	if err != nil {
		fmt.Fprintf(env.stderr, "mhhs service %s: %v\n", spec.name, err)
		return exitUsage
	}
	log := logger.With("service", spec.name)
	run := serviceRun{env: env, spec: spec, log: log, listen: *listen, callback: *callback, dipCert: *dipCert, sf: sf,
		downloadBase: cmpOr(*downloadBase, cl.BaseURL), environment: *environment, dipID: *cf.dipID}
	if err := run.run(cl); err != nil {
		fmt.Fprintf(env.stderr, "mhhs service %s: %v\n", spec.name, err)
		return exitFail
	}
	return exitOK
}

type serviceRun struct {
	env                              *cmdEnv
	spec                             serviceSpec
	log                              *slog.Logger
	listen, callback, dipCert, dipID string
	downloadBase, environment        string
	sf                               storeFlags
}

// run opens the service's stores, builds it, serves its receiver, registers
// its webhooks and runs it, until interrupted or a part fails.
func (r serviceRun) run(cl *httpapi.Client) error {
	ctx := r.env.ctx
	certPEM, err := r.trustedCertificate(ctx, cl)
	if err != nil {
		return err
	}
	cert, err := signature.ParseCertificatePEM(certPEM)
	if err != nil {
		return fmt.Errorf("the DIP's certificate: %w", err)
	}
	var standing isd.Store
	var dipStore dip.Store
	if r.spec.name == "isd" || r.spec.name == "regs" { // the standing data versions are the DIP's store's
		dipStore, err = r.sf.open(ctx)
		if err != nil {
			return err
		}
		defer dipStore.Close()
		standing, _ = dipStore.(isd.Store)
	}
	stores, closeStores, err := openServiceStores(ctx, *r.sf.url, *r.sf.data, dipStore)
	if err != nil {
		return err
	}
	defer closeStores()
	svc, err := newService(r.spec, serviceDeps{id: r.dipID, store: stores.Store(r.spec.name), stores: stores, isdStore: standing, registry: dipStore,
		downloadBase: r.downloadBase, environment: r.environment, log: r.log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", r.listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	callback := r.callback
	if callback == "" {
		callback = "http://" + ln.Addr().String() + "/"
	}
	rc := &webhook.Receiver{
		Verifier:            &signature.Verifier{},
		TrustedFingerprints: []string{signature.CertificateFingerprint(cert)},
		SelfID:              r.dipID,
		Handle:              webhook.Handle(svc, []string{r.spec.role}),
	}
	srv := &http.Server{Handler: rc, ReadHeaderTimeout: 10 * time.Second}
	g, gctx := errgroup.WithContext(context.Background())
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("the webhook receiver stopped: %w", err)
		}
		return nil
	})
	for _, ch := range svc.Channels() {
		if err := cl.ConfigureWebhook(ctx, ch, r.dipID, callback); err != nil {
			srv.Close()
			return fmt.Errorf("registering the webhook for %s: %w", ch, err)
		}
	}
	fmt.Fprintf(r.env.stdout, "mhhs service %s: participant %s, receiving %d channels on %s, sending to %s\n",
		r.spec.name, r.dipID, len(svc.Channels()), callback, cl.BaseURL)
	svcCtx, stop := context.WithCancel(context.Background())
	defer stop()
	g.Go(func() error { return runService(svcCtx, r.spec.name, svc, cl.Sender(), r.log) })
	select {
	case <-ctx.Done():
		r.log.Info("shutting down: the receiver, then the service")
	case <-gctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(shutCtx)
	stop()
	return g.Wait()
}

// trustedCertificate returns the DIP certificate the receiver trusts:
// --dip-cert-file, or the one the DIP serves, fetched once at start (trust
// on first use: pin it with --dip-cert-file where the network is not
// trusted).
func (r serviceRun) trustedCertificate(ctx context.Context, cl *httpapi.Client) ([]byte, error) {
	if r.dipCert != "" {
		return os.ReadFile(r.dipCert)
	}
	pem, err := cl.Certificate(ctx)
	if err != nil {
		return nil, fmt.Errorf("fetching the DIP's certificate (or give --dip-cert-file): %w", err)
	}
	return pem, nil
}
