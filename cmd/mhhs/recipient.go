package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
)

const recipientUsage = `usage: mhhs recipient COMMAND [--data DIR | --store URL] [ID]

  list               each recipient's delivery state: delivering or Paused, consecutive failures
  resume ID          unpause a recipient; its retrying deliveries become due now
  dead-letters ID    the recipient's deliveries that exhausted their retries (RetriesExhausted)
  requeue ID         requeue every dead letter of the recipient

They work on the DIP's store directly, so they act on a running DIP too.
`

// recipientCmd is the operator's view of delivery health (recipientUsage).
func recipientCmd(env *cmdEnv, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(env.stderr, recipientUsage)
		return exitUsage
	}
	synopsis := "ID"
	switch args[0] {
	case "list":
		synopsis = ""
	case "resume", "dead-letters", "requeue":
	case "help", "-h", "--help":
		fmt.Fprint(env.stdout, recipientUsage)
		return exitOK
	default:
		fmt.Fprintf(env.stderr, "mhhs recipient: unknown command %q\n\n%s", args[0], recipientUsage)
		return exitUsage
	}
	fs := newFlagSet(env, "recipient "+args[0], "[--data DIR | --store URL] "+synopsis)
	sf := addStoreFlags(fs, env.getenv)
	return subcommand(env, fs, args[1:], func() error {
		id := fs.Arg(0)
		switch {
		case args[0] == "list" && fs.NArg() > 0:
			return usagef("unexpected argument %q", fs.Arg(0))
		case args[0] != "list" && (fs.NArg() != 1 || id == ""):
			return usagef("give the recipient's DIP id")
		}
		store, err := sf.openExisting(env.ctx)
		if err != nil {
			return err
		}
		defer store.Close()
		switch args[0] {
		case "list":
			states, err := store.RecipientStates(env.ctx)
			if err != nil {
				return err
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
			return tw.Flush()
		case "resume":
			if err := store.Resume(env.ctx, id, time.Now()); err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "recipient %s resumed\n", id)
			return nil
		}
		dead, err := store.Deliveries(env.ctx, id, dip.StatusRetriesExhausted, 10000)
		if err != nil {
			return err
		}
		if args[0] == "requeue" {
			seqs := make([]int64, len(dead))
			for i, d := range dead {
				seqs[i] = d.Seq
			}
			n, err := store.Requeue(env.ctx, id, seqs, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "%d dead letters of %s requeued\n", n, id)
			return nil
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TRANSACTION\tCHANNEL\tMPAN\tATTEMPTS\tLAST ERROR")
		for _, d := range dead {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", d.TransactionID, d.Channel, dash(d.MPAN), d.Attempts, d.LastError)
		}
		return tw.Flush()
	})
}
