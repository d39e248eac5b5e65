package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/mhhs/mhhs/internal/archive"
	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/httpapi"
)

// journal prints the DIP journal of a message by its senderUniqueReference:
// from the DIP's store (--data/--store, which must exist) or, when the store
// purged it past retention, from the archive (--archive, default
// DATA/archive), saying so; or from a DIP over its API (deliveryStatus)
// when --remote is set.
func journal(env *cmdEnv, args []string) int {
	fs := newFlagSet(env, "journal", "[--data DIR | --store URL | --remote --url URL …] SENDER-UNIQUE-REFERENCE")
	sf := addStoreFlags(fs, env.getenv)
	sender := fs.String("sender", "", "the sender's DIP id; default the one in the reference (S-IF-nnn-<DIP id>-…)")
	remote := fs.Bool("remote", false, "ask the DIP at --url (deliveryStatus) as the sender, instead of the store")
	channel := fs.String("channel", "", "with --remote: the channel; default the one in the reference")
	cf := addClientFlags(fs, env.getenv)
	archiveDir := archiveFlag(fs, env.getenv)
	return subcommand(env, fs, args, func() error {
		if fs.NArg() != 1 {
			return usagef("give one sender unique reference (-h lists the flags)")
		}
		sur := fs.Arg(0)
		refChannel, refSender := parseReference(sur)
		if *sender == "" {
			*sender = refSender
		}
		if *channel == "" {
			*channel = refChannel
		}
		var rec catalogue.DIPJournalRecord
		var from string
		if *remote {
			c, err := cf.client()
			if err != nil {
				return usageError{err}
			}
			r, ok, err := c.DeliveryStatus(env.ctx, *channel, *cf.dipID, sur)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("the DIP at %s has no journal of %s sent by %s", c.BaseURL, sur, *cf.dipID)
			}
			rec = r
		} else {
			store, err := sf.openExisting(env.ctx)
			if err != nil {
				return err
			}
			defer store.Close()
			archiver, closeArchive, err := openArchive(*archiveDir, *sf.data)
			if err != nil {
				return err
			}
			defer closeArchive()
			jr, err := dip.JournalOf(env.ctx, store, archiver, *sender, sur)
			if errors.Is(err, dip.ErrNotFound) {
				return fmt.Errorf("no journal of %s sent by %s in the store", sur, *sender)
			}
			if err != nil {
				return err
			}
			rec = httpapi.JournalRecord(jr)
			if jr.Archived != nil {
				from = fmt.Sprintf("from the archive: %s (purged from the store)", filepath.Join(archivePath(*archiveDir, *sf.data), archive.FileName(jr.Archived.Day)))
			}
		}
		fmt.Fprintf(env.stdout, "%s %s transaction %s MPAN %s\n", rec.Interface, rec.SenderUniqueReference, dash(rec.DIPTransactionID), dash(rec.MPANCore))
		if from != "" {
			fmt.Fprintln(env.stdout, from)
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "#\tTIME\tSTAGE\tSTATUS\tRECIPIENT\tHTTP\tREASON")
		for _, e := range rec.JournalEntries {
			rcp, reason := "", ""
			if e.Recipient != nil {
				rcp = *e.Recipient
			}
			if e.Reason != nil {
				reason = *e.Reason
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", e.Rn, e.TimeGenerated, e.DIPStage, e.Status, rcp, e.StatusCode, reason)
		}
		return tw.Flush()
	})
}

// parseReference reads the interface and DIP id of a reference
// S-IF-021-<DIP id>-<role>-<date>-<suffix>.
func parseReference(sur string) (channel, sender string) {
	parts := strings.Split(strings.TrimPrefix(sur, "S-"), "-")
	if len(parts) == 6 {
		return parts[0] + "-" + parts[1], parts[2]
	}
	if len(parts) == 5 {
		return "IF-" + parts[0], parts[1]
	}
	return "", ""
}
