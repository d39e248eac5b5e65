package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runCLI runs the program in-process as a user would from a shell.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestValidateAcceptsAndRejects(t *testing.T) {
	code, example, _ := runCLI(t, "", "catalogue", "--example", "IF-021:ActivePower", "--full")
	if code != exitOK {
		t.Fatalf("catalogue --example exit %d", code)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(example), 0o644)

	code, out, _ := runCLI(t, "", "validate", "--channel", "IF-021", good)
	if code != exitOK || !strings.Contains(out, "accepted MSG0000 - Success") || !strings.Contains(out, "1 passed, 0 failed") {
		t.Fatalf("valid message: exit %d\n%s", code, out)
	}

	bad := strings.Replace(example, `"GSPGroupID": "_A"`, `"GSPGroupID": "_I"`, 1)
	if bad == example {
		t.Fatal("example has no GSPGroupID _A to break")
	}
	code, out, _ = runCLI(t, bad, "validate", "-")
	if code != exitFail || !strings.Contains(out, "[0].payload.CommonBlock.M0.GSPGroupID L1 enum") {
		t.Fatalf("bad GSP group: exit %d\n%s", code, out)
	}

	code, out, _ = runCLI(t, `[{"payload": {`, "validate", "-")
	if code != exitFail || !strings.Contains(out, "MSG1002") {
		t.Fatalf("broken JSON: exit %d\n%s", code, out)
	}

	code, out, _ = runCLI(t, example, "validate", "--channel", "IF-013", "-")
	if code != exitFail || !strings.Contains(out, "MSG1003") {
		t.Fatalf("wrong channel: exit %d\n%s", code, out)
	}
}

func TestValidateJSONOutput(t *testing.T) {
	_, example, _ := runCLI(t, "", "catalogue", "--example", "IF-031:MSApp")
	twice := "[" + strings.TrimSpace(example)[1:len(strings.TrimSpace(example))-1] + "," +
		strings.Replace(strings.TrimSpace(example)[1:len(strings.TrimSpace(example))-1], `"SUP"`, `"REGS"`, 1) + "]"
	code, out, errOut := runCLI(t, twice, "validate", "--json", "-")
	if code != exitFail {
		t.Fatalf("exit %d, want %d (second message has the wrong role)\n%s%s", code, exitFail, out, errOut)
	}
	var got []verdictJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err, out)
	}
	if len(got) != 2 || !got[0].Accepted || got[1].Accepted || got[1].Findings[0].Code != "MSG2002" {
		t.Fatalf("verdicts: %+v", got)
	}
}

func TestCatalogueListings(t *testing.T) {
	code, out, _ := runCLI(t, "", "catalogue")
	if code != exitOK || !strings.Contains(out, "58 interfaces, 146 event variants") || !strings.Contains(out, "IF-021") {
		t.Fatalf("catalogue: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "catalogue", "--seed")
	if code != exitOK || !strings.Contains(out, "MHHSP-IF-026") || !strings.Contains(out, "IF-047") ||
		!strings.Contains(out, "built: Industry Standing Data") || !strings.Contains(out, "built: the DIP") {
		t.Fatalf("catalogue --seed: exit %d\n%s", code, out)
	}
	if code, _, _ := runCLI(t, "", "catalogue", "--example", "IF-999"); code != exitUsage {
		t.Fatalf("unknown interface: exit %d", code)
	}
}

func TestDemo(t *testing.T) {
	code, out, errOut := runCLI(t, "", "demo")
	if code != exitOK {
		t.Fatalf("demo exit %d: %s", code, errOut)
	}
	// Every IF-021 the data services reported reached its LDSO, the MDS and
	// the LSS.
	// Every IF-021 the data services reported reached its LDSO, the MDS, the
	// LSS and the MPAN's supplier (every MPAN has one: REGS's load).
	sent := regexp.MustCompile(`reported \S+ with (\d+) IF-021`).FindStringSubmatch(out)
	got := regexp.MustCompile(`delivered: (\d+) to the LDSOs \(Secondary, from M0\), (\d+) to the MDS and (\d+) to the LSS \(Always\), (\d+) to suppliers`).FindStringSubmatch(out)
	if sent == nil || got == nil || sent[1] == "0" || got[1] != sent[1] || got[2] != sent[1] || got[3] != sent[1] || got[4] != sent[1] {
		t.Errorf("demo: reported %v, delivered %v; want every report at the LDSO, MDS, LSS and supplier", sent, got)
	}
	// Switches went through: CSS announced them, REGS made them on their
	// day with the gaining supplier's services appointed, and the parties
	// heard of each step.
	sw := regexp.MustCompile(`(\d+) switches took effect by \S+; in (\d+) of them`).FindStringSubmatch(out)
	if sw == nil || sw[1] == "0" || sw[2] != sw[1] {
		t.Errorf("demo: switches %v; want some to take effect, each with its services appointed", sw)
	}
	for _, flow := range []string{"IF-002 [GainMPANInfo]", "IF-033 [MSAppSPRequest]", "IF-035 [DSAppAccepted]", "IF-001 [ChangeOfSupplier]", "IF-036 [MSAppActive]", "IF-037 [DSDeApp]"} {
		if m := regexp.MustCompile(regexp.QuoteMeta(flow) + ` (\d+)`).FindStringSubmatch(out); m == nil || m[1] == "0" {
			t.Errorf("demo: the parties received no %s", flow)
		}
	}
	for _, want := range []string{"146 of 146 pass", "MSG1001 - Schema Failure", "local clock day has 50",
		"14 GSP groups", "settlement runs of 2025-10-26: II", "A synthetic market (seed 1)", "ISD announced standing data version 1 with IF-047: delivered to",
		"each accepted by the DIP (MSG0000)", "Addressing SentToTopic  Primary:[];Secondary:[LDSO:", "Always:[LSS:1900000001,MDS:1800000001]",
		"Outbound   Delivered    1800000001", "REGS started with", "COS by"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}

func TestUsage(t *testing.T) {
	if code, _, _ := runCLI(t, ""); code != exitUsage {
		t.Errorf("no args: exit %d", code)
	}
	if code, _, _ := runCLI(t, "", "frobnicate"); code != exitUsage {
		t.Errorf("unknown command: exit %d", code)
	}
}

// A delivery claim must outlast its POST, or another process could take it
// and send again while the first still sends: serve refuses such flags.
func TestServeLeaseOutlastsPost(t *testing.T) {
	serve := func(args ...string) (int, string) {
		// Port -1 cannot be listened on: flags that pass validation end
		// in a runtime error, not a usage error.
		code, _, errOut := runCLI(t, "", append([]string{"serve", "--addr", "127.0.0.1:-1", "--data", t.TempDir()}, args...)...)
		return code, errOut
	}
	for _, args := range [][]string{
		{"--lease", "5s", "--post-timeout", "10s"},
		{"--lease", "10s", "--post-timeout", "10s"},
		{"--post-timeout", "0s"},
	} {
		if code, errOut := serve(args...); code != exitUsage || !strings.Contains(errOut, "--lease") {
			t.Errorf("%v: exit %d, %q; want a usage error naming --lease", args, code, errOut)
		}
	}
	if code, errOut := serve("--lease", "20s"); code == exitUsage { // the default POST timeout is 10 s
		t.Errorf("--lease 20s refused: %s", errOut)
	}
}
