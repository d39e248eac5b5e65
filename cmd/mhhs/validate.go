package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/mhhs/mhhs/internal/catalogue"
)

// validate checks a file holding a DIP message array, as the DIP's Send API
// would, and prints a verdict per message. It exits 0 when every message
// passes L1 and L2, 1 otherwise.
func validate(env *cmdEnv, args []string) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	channel := fs.String("channel", "", "the channel (IF-nnn or REP-nnn) the messages are sent to; any when empty")
	asJSON := fs.Bool("json", false, "print verdicts as JSON")
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: mhhs validate [--channel IF-nnn] [--json] FILE|-")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	if *channel != "" {
		if _, ok := catalogue.Default().Interface(*channel); !ok {
			fmt.Fprintf(env.stderr, "mhhs validate: unknown channel %q\n", *channel)
			return exitUsage
		}
	}
	var body []byte
	var err error
	if name := fs.Arg(0); name == "-" {
		body, err = io.ReadAll(env.stdin)
	} else {
		body, err = os.ReadFile(name)
	}
	if err != nil {
		fmt.Fprintln(env.stderr, "mhhs validate:", err)
		return exitUsage
	}
	verdicts, err := catalogue.NewValidator(nil).ValidateArray(*channel, body)
	if err != nil {
		var se *catalogue.SyntaxError
		if !errors.As(err, &se) {
			fmt.Fprintln(env.stderr, "mhhs validate:", err)
			return exitUsage
		}
		verdicts = []catalogue.Verdict{{Index: -1, Findings: []catalogue.Finding{{Rule: catalogue.RuleJSON,
			Code: catalogue.MSG1002, Level: 1, Detail: se.Error()}}}}
	}
	ok := true
	for i := range verdicts {
		if !verdicts[i].OK() {
			ok = false
		}
	}
	if *asJSON {
		writeVerdictsJSON(env.stdout, verdicts)
	} else {
		writeVerdicts(env.stdout, verdicts)
	}
	if !ok {
		return exitFail
	}
	return exitOK
}

func writeVerdicts(w io.Writer, verdicts []catalogue.Verdict) {
	pass := 0
	for _, v := range verdicts {
		label := "body"
		if v.Index >= 0 {
			label = fmt.Sprintf("[%d]", v.Index)
		}
		what := ""
		if v.Variant != nil {
			what = " " + v.Variant.InterfaceID + " " + v.Variant.EventCode
		}
		if ref := v.Envelope.SenderUniqueReference; ref != "" {
			what += " " + ref
		}
		if v.OK() {
			pass++
			fmt.Fprintf(w, "%s%s: accepted %s\n", label, what, catalogue.MSG0000.Message())
			continue
		}
		fmt.Fprintf(w, "%s%s: rejected %s\n", label, what, v.Code().Message())
		for _, f := range v.Findings {
			path := f.Path
			if path == "" {
				path = "(body)"
			}
			fmt.Fprintf(w, "    %s  %s L%d %s: %s\n", f.Code, path, f.Level, f.Rule, f.Detail)
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", pass, len(verdicts)-pass)
}

type verdictJSON struct {
	Index                 int                 `json:"index"`
	InterfaceID           string              `json:"interfaceID,omitempty"`
	EventCode             string              `json:"eventCode,omitempty"`
	SenderUniqueReference string              `json:"senderUniqueReference,omitempty"`
	Accepted              bool                `json:"accepted"`
	Message               string              `json:"message"`
	Findings              []catalogue.Finding `json:"findings"`
}

func writeVerdictsJSON(w io.Writer, verdicts []catalogue.Verdict) {
	out := make([]verdictJSON, len(verdicts))
	for i, v := range verdicts {
		out[i] = verdictJSON{Index: v.Index, SenderUniqueReference: v.Envelope.SenderUniqueReference,
			Accepted: v.OK(), Message: v.Code().Message(), Findings: v.Findings}
		if v.Variant != nil {
			out[i].InterfaceID, out[i].EventCode = v.Variant.InterfaceID, v.Variant.EventCode
		}
		if out[i].Findings == nil {
			out[i].Findings = []catalogue.Finding{}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(out)
}
