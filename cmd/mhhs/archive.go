package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/mhhs/mhhs/internal/archive"
	"github.com/mhhs/mhhs/internal/dip"
)

// noArchive is the --archive value that turns the archive off: the purge
// deletes without archiving, as before archives existed.
const noArchive = "none"

// archiveFlag is the --archive flag of serve, journal and archive: the
// archive directory of purged messages; "" means DATA/archive.
func archiveFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	return fs.String("archive", getenv("MHHS_ARCHIVE"), "archive directory of messages purged past --retention, a zstd file of JSON lines per day (default DATA/archive; "+noArchive+": purge without archiving)")
}

// archivePath resolves --archive: "" when off.
func archivePath(flagValue, dataDir string) string {
	switch flagValue {
	case noArchive:
		return ""
	case "":
		return filepath.Join(dataDir, "archive")
	}
	return flagValue
}

// openArchive opens the archive of --archive: a nil Archiver (and a
// close that does nothing) when archiving is off.
func openArchive(flagValue, dataDir string) (dip.Archiver, func() error, error) {
	path := archivePath(flagValue, dataDir)
	if path == "" {
		return nil, func() error { return nil }, nil
	}
	a, err := archive.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return a, a.Close, nil
}

// archiveCmd is mhhs archive: reading the archive of purged messages.
func archiveCmd(env *cmdEnv, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(env.stderr, "usage: mhhs archive list|show [flags]\n\n  list   the archive's day files: size, lines, messages\n  show   archived messages as JSON lines (one a message: the last line of its transaction id)\n")
		return exitUsage
	}
	switch args[0] {
	case "list":
		return archiveList(env, args[1:])
	case "show":
		return archiveShow(env, args[1:])
	}
	fmt.Fprintf(env.stderr, "mhhs archive: unknown subcommand %q (list, show)\n", args[0])
	return exitUsage
}

// archiveFlags are the flags of mhhs archive's subcommands.
func archiveFlags(env *cmdEnv, fs *flag.FlagSet) (data, dir *string) {
	data = fs.String("data", envOr(env.getenv, "MHHS_DATA", "./mhhs-data"), "data directory of the DIP (its archive is DATA/archive)")
	return data, archiveFlag(fs, env.getenv)
}

// openExistingArchive opens the archive a reading command names, failing
// when its directory is not there.
func openExistingArchive(flagValue, dataDir string) (*archive.Dir, error) {
	path := archivePath(flagValue, dataDir)
	if path == "" {
		return nil, usagef("--archive %s: no archive to read", noArchive)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no archive at %s: give the DIP's --data directory or --archive DIR (mhhs serve writes it when it purges)", path)
	}
	return archive.Open(path)
}

func archiveList(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "archive list", "[--data DIR | --archive DIR]")
	data, dir := archiveFlags(env, fs)
	return subcommand(env, fs, args, func() error {
		if fs.NArg() != 0 {
			return usagef("no arguments")
		}
		a, err := openExistingArchive(*dir, *data)
		if err != nil {
			return err
		}
		defer a.Close()
		days, err := a.Days()
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DAY\tFILE\tBYTES\tLINES\tMESSAGES")
		for _, day := range days {
			name := filepath.Join(a.Path(), archive.FileName(day))
			st, err := os.Stat(name)
			if err != nil {
				return err
			}
			lines, ids := 0, map[string]bool{}
			scanErr := a.Scan(env.ctx, day, func(m dip.ArchivedMessage, _ dip.ArchiveLocation) error {
				lines++
				ids[m.TransactionID] = true
				return nil
			})
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\n", day.Format(time.DateOnly), name, st.Size(), lines, len(ids))
			if scanErr != nil {
				tw.Flush()
				return fmt.Errorf("%s: %w", name, scanErr)
			}
		}
		return tw.Flush()
	})
}

func archiveShow(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "archive show", "[--data DIR | --archive DIR] [--day YYYY-MM-DD] [SENDER-UNIQUE-REFERENCE | TRANSACTION-ID]")
	data, dir := archiveFlags(env, fs)
	dayFlag := fs.String("day", "", "only this day's file (UTC day of acceptance); default every day")
	return subcommand(env, fs, args, func() error {
		if fs.NArg() > 1 {
			return usagef("give at most one reference or transaction id")
		}
		ref := fs.Arg(0)
		if ref == "" && *dayFlag == "" {
			return usagef("give a reference or transaction id, or --day")
		}
		a, err := openExistingArchive(*dir, *data)
		if err != nil {
			return err
		}
		defer a.Close()
		days, err := a.Days()
		if err != nil {
			return err
		}
		if *dayFlag != "" {
			day, err := time.Parse(time.DateOnly, *dayFlag)
			if err != nil {
				return usagef("--day %q: want YYYY-MM-DD", *dayFlag)
			}
			days = []time.Time{day}
		}
		found := 0
		for _, day := range days {
			ms, err := a.Messages(env.ctx, day)
			if err != nil {
				return fmt.Errorf("%s: %w", archive.FileName(day), err)
			}
			for _, m := range ms {
				if ref != "" && m.SenderUniqueReference != ref && m.TransactionID != ref {
					continue
				}
				line, err := dip.ArchiveLine(m)
				if err != nil {
					return err
				}
				if _, err := env.stdout.Write(line); err != nil {
					return err
				}
				found++
			}
		}
		if ref != "" && found == 0 {
			return errors.New("no archived message " + ref)
		}
		return nil
	})
}
