package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/mhhs/mhhs/internal/catalogue"
)

// catalogueCmd lists the DIP interfaces and their variants, the seed's
// artefacts with the final interfaces that implement them, or prints a valid
// example message array for one variant.
func catalogueCmd(env *cmdEnv, args []string) int {
	fs := flag.NewFlagSet("catalogue", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	seed := fs.Bool("seed", false, "list the seed's artefacts and the final interfaces that implement them")
	example := fs.String("example", "", "print a valid message array for IF-nnn:Event (e.g. IF-021:ActivePower)")
	full := fs.Bool("full", false, "with --example: include every optional key")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	c := catalogue.Default()
	switch {
	case *example != "":
		id, event, _ := strings.Cut(*example, ":")
		in, ok := c.Interface(id)
		if !ok {
			fmt.Fprintf(env.stderr, "mhhs catalogue: unknown interface %q\n", id)
			return exitUsage
		}
		v, ok := in.Variant(event)
		if !ok && event == "" && len(in.Variants) == 1 {
			v, ok = in.Variants[0], true
		}
		if !ok {
			var events []string
			for _, v := range in.Variants {
				events = append(events, v.Event())
			}
			fmt.Fprintf(env.stderr, "mhhs catalogue: %s has no event %q (events: %s)\n", id, event, strings.Join(events, ", "))
			return exitUsage
		}
		payload := c.Example(v, catalogue.ExampleOptions{Full: *full})
		var out bytes.Buffer
		json.Indent(&out, []byte(`[{"payload":`+string(payload)+`}]`), "", "  ")
		out.WriteByte('\n')
		env.stdout.Write(out.Bytes())
		return exitOK
	case *seed:
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEED ARTEFACT\tKIND\tNAME\tFINAL INTERFACES\tCONF\tIN THIS BUILD\tNOTE")
		for _, a := range c.Seed() {
			final := strings.Join(a.Final, " ")
			if final == "" {
				final = "-"
			}
			if len(a.Final) > 12 {
				final = fmt.Sprintf("%d interfaces (%s …)", len(a.Final), strings.Join(a.Final[:4], " "))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Ref, a.Kind, a.Name, final, dash(a.Confidence), built(a), a.Note)
		}
		tw.Flush()
		return exitOK
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INTERFACE\tPUB\tTITLE\tSENDERS → RECIPIENTS\tEVENTS")
	variants := 0
	for _, in := range c.Interfaces() {
		var events []string
		for _, v := range in.Variants {
			events = append(events, v.Event())
		}
		variants += len(in.Variants)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s → %s\t%s\n", in.ID, dash(in.Publication), in.Title,
			strings.Join(in.Senders, ","), strings.Join(in.Recipients, ","), strings.Join(events, " "))
	}
	tw.Flush()
	fmt.Fprintf(env.stdout, "%d interfaces, %d event variants (DIP API v2.2.1)\n", len(c.Interfaces()), variants)
	return exitOK
}

// builtServices are the services of the target design this build runs, by
// role. Keep it true as services land.
var builtServices = map[string]string{"ISD": "Industry Standing Data (mhhs isd)"}

// built says how much of a seed artefact this build implements.
func built(a catalogue.SeedArtefact) string {
	switch {
	case a.Kind == "service":
		if what, ok := builtServices[a.Role]; ok {
			return "built: " + what
		}
		return "not yet"
	case a.Kind == "technical" && strings.HasPrefix(a.Ref, "DIP Functional"), a.Kind == "technical" && strings.HasPrefix(a.Ref, "Security"):
		return "built: the DIP (mhhs serve)"
	case a.Kind == "technical" && strings.HasPrefix(a.Ref, "DIP Non"):
		return "measured: BENCHMARKS.md"
	case a.Kind == "global" && (a.Ref == "Data Catalogue" || a.Ref == "Interface List"):
		return "built: the message catalogue"
	case a.Kind == "global", a.Kind == "technical":
		return "not yet"
	case len(a.Final) == 0:
		return "-"
	}
	return "messages: validated and carried by the DIP"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
