package main

import (
	"archive/zip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
)

const isdUsage = `usage: mhhs isd COMMAND [--data DIR | --store URL] …

  init                          store the default GB dataset as version 1 if there is none
  import [--note TEXT] PATH     validate PATH (a .json file, a directory of the CSVs or a
                                zip of them) and store it as the next version
  export [--version N] [--format json|csv] OUT
                                write a version (default the latest) to a .json file, a
                                directory of CSVs, a .zip of them, or - (JSON on stdout)
  diff A B                      the changes from A to B: version numbers or paths
  versions                      list the versions and their publication
  publish [--version N] --url URL --dip-id ID --key-file F --cert-file F --api-key-file F
          [--download-base URL] announce a version with IF-047 through the DIP
`

// isdCmd manages Industry Standing Data: every change is a new version in
// the store; publish announces one with IF-047 (Notification of the
// Publication of a Downloadable Asset), whose assets the DIP serves at
// /isd/versions/{n}/.
func isdCmd(env *cmdEnv, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(env.stderr, isdUsage)
		return exitUsage
	}
	fs := flag.NewFlagSet("isd "+args[0], flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	sf := addStoreFlags(fs, env.getenv)
	c := &isdCommand{env: env, fs: fs, sf: sf}
	switch args[0] {
	case "init":
		return c.run(args[1:], 0, c.init)
	case "import":
		c.note = fs.String("note", "", "why the data changed, kept with the version")
		return c.run(args[1:], 1, c.importData)
	case "export":
		c.version = fs.Int("version", 0, "version to export (0: the latest)")
		c.format = fs.String("format", "", "json or csv (default: json for a .json file or -, else csv)")
		return c.run(args[1:], 1, c.export)
	case "diff":
		return c.run(args[1:], 2, c.diff)
	case "versions":
		return c.run(args[1:], 0, c.versions)
	case "publish":
		c.version = fs.Int("version", 0, "version to publish (0: the latest)")
		c.client = addClientFlags(fs, env.getenv)
		c.downloadBase = fs.String("download-base", "", "base URL the assets are downloaded from (default --url: the DIP serves them)")
		c.environment = fs.String("environment", envOr(env.getenv, "MHHS_ENVIRONMENT", "DEV"), "S1.environmentTag: PRD, SITB, SIT, UIT or DEV")
		return c.run(args[1:], 0, c.publish)
	case "help", "-h", "--help":
		fmt.Fprint(env.stdout, isdUsage)
		return exitOK
	}
	fmt.Fprintf(env.stderr, "mhhs isd: unknown command %q\n\n%s", args[0], isdUsage)
	return exitUsage
}

// isdCommand is one run of an isd subcommand: its flags and, once opened,
// the store.
type isdCommand struct {
	env   *cmdEnv
	fs    *flag.FlagSet
	sf    storeFlags
	store isd.Store
	close func() error

	note, format, downloadBase, environment *string
	version                                 *int
	client                                  clientFlags
}

// usageError is an error in the command line rather than in the data: exit
// status 2.
type usageError struct{ error }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// run parses args, which must leave nargs arguments, runs fn and maps its
// error to an exit code.
func (c *isdCommand) run(args []string, nargs int, fn func() error) int {
	if err := c.fs.Parse(args); err != nil {
		return exitUsage
	}
	if c.fs.NArg() != nargs {
		fmt.Fprint(c.env.stderr, isdUsage)
		return exitUsage
	}
	err := fn()
	if c.close != nil {
		c.close()
	}
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(c.env.stderr, "mhhs %s: %v\n", c.fs.Name(), err)
	if errors.As(err, new(usageError)) {
		return exitUsage
	}
	return exitFail
}

// open opens the store once: init and import may create it; the commands
// that read it (versions, export, diff, publish) need it to exist.
func (c *isdCommand) open() (isd.Store, error) {
	if c.store != nil {
		return c.store, nil
	}
	openStore := c.sf.openExisting
	if name := c.fs.Name(); name == "isd init" || name == "isd import" {
		openStore = c.sf.open
	}
	s, err := openStore(c.env.ctx)
	if err != nil {
		return nil, err
	}
	is, ok := s.(isd.Store)
	if !ok {
		s.Close()
		return nil, fmt.Errorf("the store %T keeps no standing data", s)
	}
	c.store, c.close = is, s.Close
	return is, nil
}

// storedVersion returns version n of the store (0: the latest).
func (c *isdCommand) storedVersion(n int) (isd.Version, error) {
	s, err := c.open()
	if err != nil {
		return isd.Version{}, err
	}
	v, err := s.Version(c.env.ctx, n)
	if errors.Is(err, isd.ErrNoVersion) && n == 0 {
		return v, errors.New("the store has no ISD version yet: run mhhs isd init or mhhs isd import")
	}
	return v, err
}

func (c *isdCommand) init() error {
	s, err := c.open()
	if err != nil {
		return err
	}
	vs, err := s.Versions(c.env.ctx)
	if err != nil {
		return err
	}
	if len(vs) > 0 {
		fmt.Fprintf(c.env.stdout, "ISD already has %d version(s), the latest %d: nothing stored\n", len(vs), vs[len(vs)-1].Number)
		return nil
	}
	ds, err := isd.Default()
	if err != nil {
		return err
	}
	v := isd.Version{}.Next(ds, time.Now().UTC(), "default GB dataset shipped with mhhs")
	if err := s.PutVersion(c.env.ctx, v); err != nil {
		return err
	}
	fmt.Fprintf(c.env.stdout, "stored ISD version %d: %s\n", v.Number, v.Note)
	return nil
}

// readDataset reads standing data from a JSON file, a directory of the CSV
// files or a zip of them (such as the isd-csv.zip download).
func readDataset(path string) (*isd.Dataset, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return isd.ReadCSV(os.DirFS(path))
	}
	if strings.EqualFold(filepath.Ext(path), ".zip") {
		zr, err := zip.OpenReader(path)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		return isd.ReadCSV(zr)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return isd.DecodeJSON(f)
}

// maxListed bounds the changes import lists; diff lists them all.
const maxListed = 50

func (c *isdCommand) importData() error {
	path := c.fs.Arg(0)
	ds, err := readDataset(path)
	if err != nil {
		return fmt.Errorf("%s is not valid standing data:\n%w", path, err)
	}
	s, err := c.open()
	if err != nil {
		return err
	}
	prev, err := s.Version(c.env.ctx, 0)
	if err != nil && !errors.Is(err, isd.ErrNoVersion) {
		return err
	}
	v := prev.Next(ds, time.Now().UTC(), *c.note)
	var changes []isd.Change
	if prev.Dataset != nil {
		if changes = v.Changes(prev); len(changes) == 0 {
			fmt.Fprintf(c.env.stdout, "%s has no changes from version %d: nothing stored\n", path, prev.Number)
			return nil
		}
	}
	if err := s.PutVersion(c.env.ctx, v); err != nil {
		if errors.Is(err, isd.ErrVersionConflict) {
			return fmt.Errorf("another import stored version %d first; import again to diff against it: %w", v.Number, err)
		}
		return err
	}
	if prev.Dataset == nil {
		fmt.Fprintf(c.env.stdout, "stored ISD version %d: the first version\n", v.Number)
		return nil
	}
	fmt.Fprintf(c.env.stdout, "stored ISD version %d: %s from version %d\n", v.Number, summarize(changes), prev.Number)
	for i, ch := range changes {
		if i == maxListed {
			fmt.Fprintf(c.env.stdout, "  … and %d more (mhhs isd diff %d %d lists them all)\n", len(changes)-maxListed, prev.Number, v.Number)
			break
		}
		fmt.Fprintf(c.env.stdout, "  %s\n", ch)
	}
	return nil
}

// summarize counts changes by table and kind, as in
// "3 changes (participants: 1 changed; sscs: 1 added, 1 removed)".
func summarize(changes []isd.Change) string {
	if len(changes) == 0 {
		return "no changes"
	}
	var tables []string
	counts := map[string]map[isd.ChangeKind]int{}
	for _, ch := range changes {
		if counts[ch.Table] == nil {
			counts[ch.Table] = map[isd.ChangeKind]int{}
			tables = append(tables, ch.Table)
		}
		counts[ch.Table][ch.Kind]++
	}
	parts := make([]string, len(tables))
	for i, t := range tables {
		var kinds []string
		for _, k := range []isd.ChangeKind{isd.Added, isd.Changed, isd.Removed} {
			if n := counts[t][k]; n > 0 {
				kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
			}
		}
		parts[i] = t + ": " + strings.Join(kinds, ", ")
	}
	noun := "changes"
	if len(changes) == 1 {
		noun = "change"
	}
	return fmt.Sprintf("%d %s (%s)", len(changes), noun, strings.Join(parts, "; "))
}

func (c *isdCommand) export() error {
	out := c.fs.Arg(0)
	format := *c.format
	if format == "" {
		format = "csv"
		if out == "-" || strings.EqualFold(filepath.Ext(out), ".json") {
			format = "json"
		}
	}
	if format != "json" && format != "csv" {
		return usagef("--format %q: want json or csv", format)
	}
	if out == "-" && format != "json" {
		return usagef("only JSON goes to stdout")
	}
	v, err := c.storedVersion(*c.version)
	if err != nil {
		return err
	}
	switch {
	case out == "-":
		return v.Dataset.EncodeJSON(c.env.stdout)
	case format == "json":
		err = writeFile(out, func(w io.Writer) error { return v.Dataset.EncodeJSON(w) })
	case strings.EqualFold(filepath.Ext(out), ".zip"):
		var b []byte
		if b, err = isd.Asset(v, isd.AssetCSVZip); err == nil {
			err = os.WriteFile(out, b, 0o644)
		}
	default:
		if err = os.MkdirAll(out, 0o755); err == nil {
			err = v.Dataset.WriteCSV(func(name string) (io.Writer, error) { return os.Create(filepath.Join(out, name)) })
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.env.stdout, "exported ISD version %d to %s (%s)\n", v.Number, out, format)
	return nil
}

// writeFile creates path and writes it with fn, reporting the error of
// Close too.
func writeFile(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (c *isdCommand) diff() error {
	var ds [2]*isd.Dataset
	for i, arg := range c.fs.Args() {
		var err error
		if n, aerr := strconv.Atoi(arg); aerr == nil && n > 0 {
			var v isd.Version
			v, err = c.storedVersion(n)
			ds[i] = v.Dataset
		} else {
			ds[i], err = readDataset(arg)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", arg, err)
		}
	}
	changes := isd.Diff(ds[0], ds[1])
	for _, ch := range changes {
		fmt.Fprintln(c.env.stdout, ch)
	}
	fmt.Fprintln(c.env.stdout, summarize(changes))
	return nil
}

func (c *isdCommand) versions() error {
	s, err := c.open()
	if err != nil {
		return err
	}
	vs, err := s.Versions(c.env.ctx)
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		fmt.Fprintln(c.env.stdout, "no ISD versions: mhhs isd init stores the default dataset")
		return nil
	}
	tw := tabwriter.NewWriter(c.env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tCREATED\tPUBLISHED\tTRANSACTION\tNOTE")
	for _, v := range vs {
		published, tx := "-", "-"
		if !v.Published.IsZero() {
			published, tx = market.FormatDateTime(v.Published), v.PublishedTransactionID
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", v.Number, market.FormatDateTime(v.Created), published, tx, v.Note)
	}
	return tw.Flush()
}

// publish announces a version with IF-047 [ISD] through the DIP, as the
// ISD service does (isd.Service.Announce): one P01 for the publication and
// one P02 per downloadable asset; the message is validated before it is
// sent, and its sender reference is fixed by the version, so that
// publishing a version again is refused by the DIP as a duplicate instead
// of announced twice.
func (c *isdCommand) publish() error {
	cl, err := c.client.client()
	if err != nil {
		return usageError{err}
	}
	base := *c.downloadBase
	if base == "" {
		base = cl.BaseURL
	}
	if _, err := c.storedVersion(*c.version); err != nil {
		return err
	}
	svc := &isd.Service{Store: c.store, DownloadBase: strings.TrimSuffix(base, "/"),
		Sender: &catalogue.Sender{DIPID: *c.client.dipID, Role: isd.SenderRole, Environment: catalogue.Environment(*c.environment)}}
	tx, err := svc.Announce(c.env.ctx, cl.Sender(), *c.version)
	if err != nil {
		return err
	}
	v, err := c.storedVersion(*c.version)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.env.stdout, "published ISD version %d: transaction %s\n", v.Number, tx)
	for _, name := range []string{isd.AssetJSON, isd.AssetCSVZip} {
		fmt.Fprintf(c.env.stdout, "  %s\n", svc.DownloadBase+isd.AssetPath(v.Number, name))
	}
	return nil
}
