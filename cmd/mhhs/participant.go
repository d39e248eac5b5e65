package main

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/signature"
)

const participantUsage = `usage: mhhs participant COMMAND [flags]

  add --dip-id ID --roles SUP[,…] [--name N] [--mpids AAAA,…] (--cert-file F | --generate DIR) [--api-key-file F]
                  register a participant; its API key is shown once (or written to --api-key-file)
  list            the participants
  rotate-key --dip-id ID [--api-key-file F]
                  give a participant a new API key; the old one stops working
  disable --dip-id ID
                  refuse the participant's API key; route nothing to it
  webhook set|list|remove
                  a participant's webhooks, one per channel (see mhhs participant webhook -h)

Each works on the DIP's store: --data DIR (default ./mhhs-data, or MHHS_DATA) or --store URL.
Only add creates the store. 'mhhs participant COMMAND -h' lists a command's flags.
`

const webhookUsage = `usage: mhhs participant webhook COMMAND [flags]

  set --dip-id ID --channel IF-021[,…] --callback-url URL
                  deliver the participant's messages on each channel to URL
  list [--dip-id ID]
                  the webhooks, of every participant or of one
  remove --dip-id ID --channel IF-021[,…]
                  stop delivering on each channel: messages wait, Pending, until a webhook is set

A channel is an interface (IF-021) or statusmessage, the status messages about the
participant's own messages. By default the command writes the DIP's store (--data or
--store), as an operator would, and a running DIP takes the change within a second.
With --remote, set and remove go through the DIP's API at --url as the participant
itself, signed with its keys (--key-file, --cert-file, --api-key-file), as
POST and DELETE /dip-channel/{id}/pubconfig/{dip-id} (or /statusmessage/config/{dip-id}).
The DIP API cannot list webhooks: list reads the store.
`

// participantCmd administers the participant registry: add, list,
// rotate-key, disable, and each participant's webhooks. add and rotate-key
// print the new API key once (or write it to --api-key-file); the registry
// keeps only its hash.
func participantCmd(env *cmdEnv, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(env.stderr, participantUsage)
		return exitUsage
	}
	c := &participantCommand{env: env}
	switch args[0] {
	case "add":
		fs := c.flags("participant add", "--dip-id ID --roles SUP[,…] (--cert-file F | --generate DIR) [flags]")
		c.name = fs.String("name", "", "display name")
		c.roles = fs.String("roles", "", "comma-separated DIP role codes (SUP, SDS, MDS, …)")
		c.mpids = fs.String("mpids", "", "comma-separated market participant ids")
		c.certFile = fs.String("cert-file", "", "PEM of the participant's signing certificate")
		c.generate = fs.String("generate", "", "generate a signing key and certificate into this directory")
		c.keyOut = fs.String("api-key-file", "", "write the new API key to this file instead of printing it")
		return subcommand(env, fs, args[1:], c.add)
	case "list":
		fs := c.flags("participant list", "[--data DIR | --store URL]")
		return subcommand(env, fs, args[1:], c.list)
	case "rotate-key":
		fs := c.flags("participant rotate-key", "--dip-id ID [--api-key-file F]")
		c.keyOut = fs.String("api-key-file", "", "write the new API key to this file instead of printing it")
		return subcommand(env, fs, args[1:], c.rotateKey)
	case "disable":
		fs := c.flags("participant disable", "--dip-id ID")
		return subcommand(env, fs, args[1:], c.disable)
	case "webhook":
		return webhookCmd(env, args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(env.stdout, participantUsage)
		return exitOK
	}
	fmt.Fprintf(env.stderr, "mhhs participant: unknown command %q\n\n%s", args[0], participantUsage)
	return exitUsage
}

// participantCommand is one run of a participant subcommand: its flags.
type participantCommand struct {
	env *cmdEnv
	fs  *flag.FlagSet
	sf  storeFlags
	id  *string

	name, roles, mpids, certFile, generate, keyOut *string
}

// flags returns the subcommand's flag set with the store flags and --dip-id
// (which list ignores).
func (c *participantCommand) flags(name, synopsis string) *flag.FlagSet {
	c.fs = newFlagSet(c.env, name, synopsis)
	c.sf = addStoreFlags(c.fs, c.env.getenv)
	if name != "participant list" {
		c.id = c.fs.String("dip-id", "", "the participant's 10-character DIP id")
	}
	return c.fs
}

// noArgs refuses positional arguments: every value is a flag.
func (c *participantCommand) noArgs() error {
	if c.fs.NArg() > 0 {
		return usagef("unexpected argument %q (every value is a flag: -h lists them)", c.fs.Arg(0))
	}
	return nil
}

func (c *participantCommand) add() error {
	if err := c.noArgs(); err != nil {
		return err
	}
	if _, err := market.ParseDIPID(*c.id); err != nil {
		return usageError{err}
	}
	var rs []string
	for _, r := range strings.Split(*c.roles, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		if _, err := market.ParseRole(r); err != nil {
			return usageError{err}
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return usagef("--roles is required")
	}
	var certPEM []byte
	switch {
	case *c.generate != "":
		keyPEM, cert, err := signature.GenerateSelfSigned(*c.id, 2048, time.Now())
		if err == nil {
			err = os.MkdirAll(*c.generate, 0o700)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(*c.generate, *c.id+"-key.pem"), keyPEM, 0o600)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(*c.generate, *c.id+"-cert.pem"), cert, 0o644)
		}
		if err != nil {
			return err
		}
		certPEM = cert
	case *c.certFile != "":
		var err error
		if certPEM, err = os.ReadFile(*c.certFile); err != nil {
			return usageError{err}
		}
	default:
		return usagef("give --cert-file or --generate DIR")
	}
	fp, err := fingerprintPEM(certPEM)
	if err != nil {
		return usageError{fmt.Errorf("%s: %w", *c.certFile, err)}
	}
	store, err := c.sf.open(c.env.ctx) // add creates the store
	if err != nil {
		return err
	}
	defer store.Close()
	key, hash := dip.NewAPIKey()
	p := dip.Participant{DIPID: *c.id, Name: *c.name, Roles: rs, CertFingerprint: fp, CertPEM: certPEM, APIKeyHash: hash, Created: time.Now().UTC()}
	if *c.mpids != "" {
		p.MPIDs = strings.Split(*c.mpids, ",")
	}
	if err := store.PutParticipant(c.env.ctx, p); err != nil {
		return err
	}
	fmt.Fprintf(c.env.stdout, "participant %s added (roles %s, certificate %s…)\n", p.DIPID, strings.Join(rs, ","), fp[:16])
	return c.giveKey(key)
}

// giveKey prints a new API key once, or writes it to --api-key-file.
func (c *participantCommand) giveKey(key string) error {
	if *c.keyOut != "" {
		return os.WriteFile(*c.keyOut, []byte(key+"\n"), 0o600)
	}
	fmt.Fprintf(c.env.stdout, "API key (shown once): %s\n", key)
	return nil
}

func (c *participantCommand) list() error {
	if err := c.noArgs(); err != nil {
		return err
	}
	store, err := c.sf.openExisting(c.env.ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	ps, err := store.Participants(c.env.ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.env.stdout, 0, 4, 2, ' ', 0)
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
	return tw.Flush()
}

// changeParticipant finds --dip-id in the existing store, changes it with
// fn and stores it.
func (c *participantCommand) changeParticipant(fn func(p *dip.Participant) error) error {
	if err := c.noArgs(); err != nil {
		return err
	}
	if *c.id == "" {
		return usagef("--dip-id is required")
	}
	store, err := c.sf.openExisting(c.env.ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	p, err := findParticipant(c.env, store, *c.id)
	if err != nil {
		return err
	}
	if err := fn(p); err != nil {
		return err
	}
	return store.PutParticipant(c.env.ctx, *p)
}

func (c *participantCommand) rotateKey() error {
	var key string
	if err := c.changeParticipant(func(p *dip.Participant) error {
		key, p.APIKeyHash = dip.NewAPIKey()
		return nil
	}); err != nil {
		return err
	}
	return c.giveKey(key)
}

func (c *participantCommand) disable() error {
	if err := c.changeParticipant(func(p *dip.Participant) error { p.Disabled = true; return nil }); err != nil {
		return err
	}
	fmt.Fprintf(c.env.stdout, "participant %s disabled\n", *c.id)
	return nil
}

// findParticipant returns the registered participant id.
func findParticipant(env *cmdEnv, store dip.Registry, id string) (*dip.Participant, error) {
	ps, err := store.Participants(env.ctx)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(ps, func(p dip.Participant) bool { return p.DIPID == id })
	if i < 0 {
		return nil, fmt.Errorf("no participant %q in the store (mhhs participant list shows them)", id)
	}
	return &ps[i], nil
}

func fingerprintPEM(certPEM []byte) (string, error) {
	cert, err := signature.ParseCertificatePEM(certPEM)
	if err != nil {
		return "", err
	}
	return signature.CertificateFingerprint(cert), nil
}

// webhookCmd administers a participant's webhooks (webhookUsage).
func webhookCmd(env *cmdEnv, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(env.stderr, webhookUsage)
		return exitUsage
	}
	c := &webhookCommand{env: env}
	switch args[0] {
	case "set":
		fs := c.flags("participant webhook set", "--dip-id ID --channel IF-021[,…] --callback-url URL [--remote …]", true)
		c.callback = fs.String("callback-url", "", "the participant's webhook: an absolute http or https URL")
		return subcommand(env, fs, args[1:], c.set)
	case "list":
		fs := c.flags("participant webhook list", "[--dip-id ID]", false)
		return subcommand(env, fs, args[1:], c.list)
	case "remove":
		fs := c.flags("participant webhook remove", "--dip-id ID --channel IF-021[,…] [--remote …]", true)
		return subcommand(env, fs, args[1:], c.remove)
	case "help", "-h", "--help":
		fmt.Fprint(env.stdout, webhookUsage)
		return exitOK
	}
	fmt.Fprintf(env.stderr, "mhhs participant webhook: unknown command %q\n\n%s", args[0], webhookUsage)
	return exitUsage
}

// webhookCommand is one run of a webhook subcommand.
type webhookCommand struct {
	env      *cmdEnv
	fs       *flag.FlagSet
	sf       storeFlags
	cf       clientFlags // --dip-id is the participant's, whether remote or not
	remote   *bool
	channels *string
	callback *string
}

func (c *webhookCommand) flags(name, synopsis string, change bool) *flag.FlagSet {
	c.fs = newFlagSet(c.env, name, synopsis)
	c.sf = addStoreFlags(c.fs, c.env.getenv)
	if !change {
		c.cf.dipID = c.fs.String("dip-id", "", "only this participant's webhooks")
		return c.fs
	}
	c.cf = addClientFlags(c.fs, c.env.getenv)
	c.remote = c.fs.Bool("remote", false, "go through the DIP's API at --url as the participant, with its keys, instead of the store")
	c.channels = c.fs.String("channel", "", "comma-separated channels: IF-nnn, or statusmessage for status messages")
	return c.fs
}

// parseChannels reads --channel: interfaces of the catalogue or the status
// channel.
func (c *webhookCommand) parseChannels() ([]string, error) {
	if c.fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q (every value is a flag: -h lists them)", c.fs.Arg(0))
	}
	if *c.cf.dipID == "" {
		return nil, usagef("--dip-id is required")
	}
	var out []string
	for _, ch := range strings.Split(*c.channels, ",") {
		if ch = strings.TrimSpace(ch); ch == "" {
			continue
		}
		if _, ok := catalogue.Default().Interface(ch); !ok && ch != dip.StatusChannel {
			return nil, usagef("--channel %q is neither an interface (IF-021) nor %s", ch, dip.StatusChannel)
		}
		out = append(out, ch)
	}
	if len(out) == 0 {
		return nil, usagef("--channel is required")
	}
	return out, nil
}

func (c *webhookCommand) set() error {
	channels, err := c.parseChannels()
	if err != nil {
		return err
	}
	if u, err := url.Parse(*c.callback); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--callback-url %q is not an absolute http or https URL", *c.callback)
	}
	return c.change(channels, "set to "+*c.callback, func(reg dip.Registry, ch string) error {
		return reg.PutWebhook(c.env.ctx, dip.Webhook{Channel: ch, Recipient: *c.cf.dipID, CallbackURL: *c.callback})
	}, func(ch string) error {
		cl, err := c.cf.client()
		if err != nil {
			return usageError{err}
		}
		return cl.ConfigureWebhook(c.env.ctx, ch, *c.cf.dipID, *c.callback)
	})
}

func (c *webhookCommand) remove() error {
	channels, err := c.parseChannels()
	if err != nil {
		return err
	}
	return c.change(channels, "removed", func(reg dip.Registry, ch string) error {
		err := reg.DeleteWebhook(c.env.ctx, ch, *c.cf.dipID)
		if errors.Is(err, dip.ErrNotFound) {
			return fmt.Errorf("%s has no webhook for %s", *c.cf.dipID, ch)
		}
		return err
	}, func(ch string) error {
		cl, err := c.cf.client()
		if err != nil {
			return usageError{err}
		}
		return cl.RemoveWebhook(c.env.ctx, ch, *c.cf.dipID)
	})
}

// change applies a change to each channel's webhook: in the store, for a
// registered participant, or through the DIP's API with --remote.
func (c *webhookCommand) change(channels []string, done string, inStore func(dip.Registry, string) error, remote func(string) error) error {
	apply := remote
	if !*c.remote {
		store, err := c.sf.openExisting(c.env.ctx)
		if err != nil {
			return err
		}
		defer store.Close()
		if _, err := findParticipant(c.env, store, *c.cf.dipID); err != nil {
			return err
		}
		apply = func(ch string) error { return inStore(store, ch) }
	}
	for _, ch := range channels {
		if err := apply(ch); err != nil {
			return err
		}
		fmt.Fprintf(c.env.stdout, "webhook of %s for %s %s\n", *c.cf.dipID, ch, done)
	}
	return nil
}

func (c *webhookCommand) list() error {
	if c.fs.NArg() > 0 {
		return usagef("unexpected argument %q (every value is a flag: -h lists them)", c.fs.Arg(0))
	}
	store, err := c.sf.openExisting(c.env.ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	ws, err := store.Webhooks(c.env.ctx)
	if err != nil {
		return err
	}
	slices.SortFunc(ws, func(a, b dip.Webhook) int {
		return strings.Compare(a.Recipient+" "+a.Channel, b.Recipient+" "+b.Channel)
	})
	tw := tabwriter.NewWriter(c.env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DIP ID\tCHANNEL\tCALLBACK URL")
	for _, w := range ws {
		if *c.cf.dipID == "" || w.Recipient == *c.cf.dipID {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", w.Recipient, w.Channel, w.CallbackURL)
		}
	}
	return tw.Flush()
}
