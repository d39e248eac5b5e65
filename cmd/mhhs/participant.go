package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/signature"
)

// participantCmd administers the participant registry:
//
//	mhhs participant add --dip-id ID --roles SUP[,…] [--name N] [--mpids AAAA,…] (--cert-file F | --generate DIR)
//	mhhs participant list
//	mhhs participant rotate-key --dip-id ID
//	mhhs participant disable --dip-id ID
//
// add and rotate-key print the new API key once (or write it to
// --api-key-file); the registry keeps only its hash.
func participantCmd(env *cmdEnv, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(env.stderr, "usage: mhhs participant add|list|rotate-key|disable [flags]")
		return exitUsage
	}
	fs := flag.NewFlagSet("participant "+args[0], flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	sf := addStoreFlags(fs, env.getenv)
	id := fs.String("dip-id", "", "the participant's 10-character DIP id")
	name := fs.String("name", "", "display name")
	roles := fs.String("roles", "", "comma-separated DIP role codes (SUP, SDS, MDS, …)")
	mpids := fs.String("mpids", "", "comma-separated market participant ids")
	certFile := fs.String("cert-file", "", "PEM of the participant's signing certificate")
	generate := fs.String("generate", "", "generate a signing key and certificate into this directory")
	keyOut := fs.String("api-key-file", "", "write the new API key to this file instead of printing it")
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	ctx := env.ctx
	store, err := sf.open(ctx)
	if err != nil {
		fmt.Fprintln(env.stderr, "mhhs participant:", err)
		return exitFail
	}
	defer store.Close()
	find := func() (*dip.Participant, error) {
		ps, err := store.Participants(ctx)
		if err != nil {
			return nil, err
		}
		for i := range ps {
			if ps[i].DIPID == *id {
				return &ps[i], nil
			}
		}
		return nil, fmt.Errorf("no participant %q", *id)
	}
	giveKey := func(key string) error {
		if *keyOut != "" {
			return os.WriteFile(*keyOut, []byte(key+"\n"), 0o600)
		}
		fmt.Fprintf(env.stdout, "API key (shown once): %s\n", key)
		return nil
	}
	switch args[0] {
	case "add":
		if _, err := market.ParseDIPID(*id); err != nil {
			fmt.Fprintln(env.stderr, "mhhs participant add:", err)
			return exitUsage
		}
		var rs []string
		for _, r := range strings.Split(*roles, ",") {
			if r = strings.TrimSpace(r); r == "" {
				continue
			}
			if _, err := market.ParseRole(r); err != nil {
				fmt.Fprintln(env.stderr, "mhhs participant add:", err)
				return exitUsage
			}
			rs = append(rs, r)
		}
		if len(rs) == 0 {
			fmt.Fprintln(env.stderr, "mhhs participant add: --roles is required")
			return exitUsage
		}
		var certPEM []byte
		switch {
		case *generate != "":
			keyPEM, cert, err := signature.GenerateSelfSigned(*id, 2048, time.Now())
			if err == nil {
				err = os.MkdirAll(*generate, 0o700)
			}
			if err == nil {
				err = os.WriteFile(filepath.Join(*generate, *id+"-key.pem"), keyPEM, 0o600)
			}
			if err == nil {
				err = os.WriteFile(filepath.Join(*generate, *id+"-cert.pem"), cert, 0o644)
			}
			if err != nil {
				fmt.Fprintln(env.stderr, "mhhs participant add:", err)
				return exitFail
			}
			certPEM = cert
		case *certFile != "":
			if certPEM, err = os.ReadFile(*certFile); err != nil {
				fmt.Fprintln(env.stderr, "mhhs participant add:", err)
				return exitUsage
			}
		default:
			fmt.Fprintln(env.stderr, "mhhs participant add: give --cert-file or --generate DIR")
			return exitUsage
		}
		fp, err := fingerprintPEM(certPEM)
		if err != nil {
			fmt.Fprintln(env.stderr, "mhhs participant add:", err)
			return exitUsage
		}
		key, hash := dip.NewAPIKey()
		p := dip.Participant{DIPID: *id, Name: *name, Roles: rs, CertFingerprint: fp, CertPEM: certPEM, APIKeyHash: hash, Created: time.Now().UTC()}
		if *mpids != "" {
			p.MPIDs = strings.Split(*mpids, ",")
		}
		if err := store.PutParticipant(ctx, p); err != nil {
			fmt.Fprintln(env.stderr, "mhhs participant add:", err)
			return exitFail
		}
		fmt.Fprintf(env.stdout, "participant %s added (roles %s, certificate %s…)\n", p.DIPID, strings.Join(rs, ","), fp[:16])
		if err := giveKey(key); err != nil {
			fmt.Fprintln(env.stderr, "mhhs participant add:", err)
			return exitFail
		}
		return exitOK
	case "list":
		ps, err := store.Participants(ctx)
		if err != nil {
			fmt.Fprintln(env.stderr, "mhhs participant list:", err)
			return exitFail
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DIP ID\tNAME\tROLES\tMPIDS\tCERTIFICATE\tSTATE")
		for _, p := range ps {
			state := "enabled"
			if p.Disabled {
				state = "disabled"
			}
			fp := p.CertFingerprint
			if len(fp) > 16 {
				fp = fp[:16] + "…"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.DIPID, p.Name, strings.Join(p.Roles, ","), strings.Join(p.MPIDs, ","), fp, state)
		}
		tw.Flush()
		return exitOK
	case "rotate-key", "disable":
		p, err := find()
		if err != nil {
			fmt.Fprintln(env.stderr, "mhhs participant:", err)
			return exitFail
		}
		var key string
		if args[0] == "disable" {
			p.Disabled = true
		} else {
			key, p.APIKeyHash = dip.NewAPIKey()
		}
		if err := store.PutParticipant(ctx, *p); err != nil {
			fmt.Fprintln(env.stderr, "mhhs participant:", err)
			return exitFail
		}
		if key != "" {
			if err := giveKey(key); err != nil {
				fmt.Fprintln(env.stderr, "mhhs participant:", err)
				return exitFail
			}
		} else {
			fmt.Fprintf(env.stdout, "participant %s disabled\n", p.DIPID)
		}
		return exitOK
	}
	fmt.Fprintf(env.stderr, "mhhs participant: unknown subcommand %q\n", args[0])
	return exitUsage
}

func fingerprintPEM(certPEM []byte) (string, error) {
	cert, err := signature.ParseCertificatePEM(certPEM)
	if err != nil {
		return "", err
	}
	return signature.CertificateFingerprint(cert), nil
}
