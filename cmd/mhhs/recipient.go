package main

import (
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
)

// recipientCmd is the operator's view of delivery health:
//
//	mhhs recipient list                    paused state and failure counts
//	mhhs recipient resume ID               unpause; retrying deliveries become due now
//	mhhs recipient dead-letters ID         deliveries that exhausted their retries
//	mhhs recipient requeue ID              requeue every dead letter of ID
//
// It works on the store directly, so it acts on a running DIP too.
func recipientCmd(env *cmdEnv, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(env.stderr, "usage: mhhs recipient list|resume|dead-letters|requeue [ID]")
		return exitUsage
	}
	fs := flag.NewFlagSet("recipient "+args[0], flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	sf := addStoreFlags(fs, env.getenv)
	if err := fs.Parse(args[1:]); err != nil {
		return exitUsage
	}
	store, err := sf.open(env.ctx)
	if err != nil {
		fmt.Fprintln(env.stderr, "mhhs recipient:", err)
		return exitFail
	}
	defer store.Close()
	id := fs.Arg(0)
	if args[0] != "list" && id == "" {
		fmt.Fprintf(env.stderr, "mhhs recipient %s: give the recipient's DIP id\n", args[0])
		return exitUsage
	}
	switch args[0] {
	case "list":
		states, err := store.RecipientStates(env.ctx)
		if err != nil {
			fmt.Fprintln(env.stderr, "mhhs recipient:", err)
			return exitFail
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RECIPIENT\tSTATE\tCONSECUTIVE FAILURES\tPAUSED AT")
		for _, s := range states {
			state, at := "delivering", "-"
			if s.Paused {
				state, at = "Paused", s.PausedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", s.Recipient, state, s.ConsecutiveFailures, at)
		}
		tw.Flush()
	case "resume":
		if err := store.Resume(env.ctx, id, time.Now()); err != nil {
			fmt.Fprintln(env.stderr, "mhhs recipient resume:", err)
			return exitFail
		}
		fmt.Fprintf(env.stdout, "recipient %s resumed\n", id)
	case "dead-letters", "requeue":
		dead, err := store.Deliveries(env.ctx, id, dip.StatusRetriesExhausted, 10000)
		if err != nil {
			fmt.Fprintln(env.stderr, "mhhs recipient:", err)
			return exitFail
		}
		if args[0] == "requeue" {
			seqs := make([]int64, len(dead))
			for i, d := range dead {
				seqs[i] = d.Seq
			}
			n, err := store.Requeue(env.ctx, id, seqs, time.Now())
			if err != nil {
				fmt.Fprintln(env.stderr, "mhhs recipient requeue:", err)
				return exitFail
			}
			fmt.Fprintf(env.stdout, "%d dead letters of %s requeued\n", n, id)
			return exitOK
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TRANSACTION\tCHANNEL\tMPAN\tATTEMPTS\tLAST ERROR")
		for _, d := range dead {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", d.TransactionID, d.Channel, dash(d.MPAN), d.Attempts, d.LastError)
		}
		tw.Flush()
	default:
		fmt.Fprintf(env.stderr, "mhhs recipient: unknown subcommand %q\n", args[0])
		return exitUsage
	}
	return exitOK
}
