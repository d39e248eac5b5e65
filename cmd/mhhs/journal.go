package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/httpapi"
)

// journal prints the DIP journal of a message by its senderUniqueReference:
// from the local store (--data/--store), or from a DIP over its API
// (deliveryStatus) when --remote is set.
func journal(env *cmdEnv, args []string) int {
	fs := flag.NewFlagSet("journal", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	sf := addStoreFlags(fs, env.getenv)
	sender := fs.String("sender", "", "the sender's DIP id; default the one in the reference (S-IF-nnn-<DIP id>-…)")
	remote := fs.Bool("remote", false, "ask the DIP at --url (deliveryStatus) instead of the local store")
	channel := fs.String("channel", "", "with --remote: the channel; default the one in the reference")
	cf := addClientFlags(fs, env.getenv)
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(env.stderr, "usage: mhhs journal [--sender ID] [--remote …] SENDER-UNIQUE-REFERENCE")
		return exitUsage
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
	if *remote {
		c, err := cf.client()
		if err != nil {
			fmt.Fprintln(env.stderr, "mhhs journal:", err)
			return exitUsage
		}
		r, ok, err := c.DeliveryStatus(env.ctx, *channel, *cf.dipID, sur)
		if err != nil {
			fmt.Fprintln(env.stderr, "mhhs journal:", err)
			return exitFail
		}
		if !ok {
			fmt.Fprintf(env.stdout, "no journal for %s\n", sur)
			return exitFail
		}
		rec = r
	} else {
		store, err := sf.open(env.ctx)
		if err != nil {
			fmt.Fprintln(env.stderr, "mhhs journal:", err)
			return exitFail
		}
		defer store.Close()
		jr, err := store.Journal(env.ctx, *sender, sur)
		if errors.Is(err, dip.ErrNotFound) {
			fmt.Fprintf(env.stdout, "no journal for %s (sender %s)\n", sur, *sender)
			return exitFail
		}
		if err != nil {
			fmt.Fprintln(env.stderr, "mhhs journal:", err)
			return exitFail
		}
		rec = httpapi.JournalRecord(jr)
	}
	fmt.Fprintf(env.stdout, "%s %s transaction %s MPAN %s\n", rec.Interface, rec.SenderUniqueReference, dash(rec.DIPTransactionID), dash(rec.MPANCore))
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
	tw.Flush()
	return exitOK
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
