package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Help is asked for, not an error: mhhs participant -h and mhhs recipient -h
// list their commands on stdout and exit 0; a command's -h lists its own
// flags, not another's.
func TestSubcommandHelp(t *testing.T) {
	t.Chdir(t.TempDir()) // a store created by mistake would land here
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"participant", "-h"}, []string{"add --dip-id", "list", "rotate-key", "disable", "webhook set|list|remove"}},
		{[]string{"participant", "webhook", "-h"}, []string{"set --dip-id", "list [--dip-id", "remove --dip-id", "statusmessage", "--remote"}},
		{[]string{"recipient", "-h"}, []string{"list", "resume ID", "dead-letters ID", "requeue ID"}},
	} {
		code, out, errOut := runCLI(t, "", tc.args...)
		if code != exitOK {
			t.Errorf("%v: exit %d, want 0\n%s", tc.args, code, errOut)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: stdout lacks %q:\n%s", tc.args, w, out)
			}
		}
	}
	for _, tc := range []struct {
		args         []string
		want, absent []string
	}{
		{[]string{"participant", "list", "-h"}, []string{"usage: mhhs participant list", "-data", "-store"}, []string{"-roles", "-generate", "-cert-file", "-dip-id"}},
		{[]string{"participant", "add", "-h"}, []string{"usage: mhhs participant add", "-roles", "-generate", "-api-key-file"}, nil},
		{[]string{"participant", "disable", "-h"}, []string{"-dip-id"}, []string{"-roles", "-api-key-file"}},
		{[]string{"participant", "webhook", "set", "-h"}, []string{"-callback-url", "-channel", "-remote", "-key-file"}, []string{"-roles"}},
		{[]string{"participant", "webhook", "list", "-h"}, []string{"-dip-id", "-data"}, []string{"-callback-url", "-remote"}},
		{[]string{"recipient", "list", "-h"}, []string{"usage: mhhs recipient list", "-data"}, nil},
		{[]string{"journal", "-h"}, []string{"SENDER-UNIQUE-REFERENCE", "-remote", "-archive"}, nil},
		{[]string{"archive", "list", "-h"}, []string{"usage: mhhs archive list", "-archive", "-data"}, []string{"-day"}},
		{[]string{"archive", "show", "-h"}, []string{"usage: mhhs archive show", "-archive", "-day", "TRANSACTION-ID"}, nil},
		{[]string{"send", "-h"}, []string{"-channel", "-api-key-file"}, nil},
	} {
		code, _, errOut := runCLI(t, "", tc.args...)
		if code != exitOK {
			t.Errorf("%v: exit %d, want 0", tc.args, code)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v lacks %q:\n%s", tc.args, w, errOut)
			}
		}
		for _, a := range tc.absent {
			if strings.Contains(errOut, a) {
				t.Errorf("%v shows %q, another command's flag:\n%s", tc.args, a, errOut)
			}
		}
	}
	if _, err := os.Stat("mhhs-data"); err == nil {
		t.Error("asking for help created ./mhhs-data")
	}
}

// Commands that read or change what a store holds do not create one: given
// no store, they fail naming the database they looked for, and leave no
// ./mhhs-data behind. Only participant add (and serve) create it.
func TestReadingCommandsDoNotCreateAStore(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, args := range [][]string{
		{"journal", "S-IF-021-1200000001-SDS-20250401-1"},
		{"participant", "list"},
		{"participant", "rotate-key", "--dip-id", "1200000001"},
		{"participant", "disable", "--dip-id", "1200000001"},
		{"participant", "webhook", "list"},
		{"participant", "webhook", "set", "--dip-id", "1200000001", "--channel", "IF-021", "--callback-url", "http://127.0.0.1:9/hook"},
		{"participant", "webhook", "remove", "--dip-id", "1200000001", "--channel", "IF-021"},
		{"recipient", "list"},
		{"recipient", "resume", "1200000001"},
		{"recipient", "dead-letters", "1200000001"},
		{"recipient", "requeue", "1200000001"},
		{"isd", "versions"},
		{"isd", "export", "-"},
		{"isd", "diff", "1", "2"},
	} {
		code, out, errOut := runCLI(t, "", args...)
		want := "no store at " + filepath.Join("mhhs-data", "mhhs.db")
		if code != exitFail || !strings.Contains(errOut, want) {
			t.Errorf("%v: exit %d %q %q, want 1 and %q", args, code, out, errOut, want)
		}
		if _, err := os.Stat("mhhs-data"); err == nil {
			t.Fatalf("%v created ./mhhs-data", args)
		}
	}
	// With --data naming another directory, the message names it.
	other := filepath.Join(t.TempDir(), "dip")
	if _, _, errOut := runCLI(t, "", "recipient", "list", "--data", other); !strings.Contains(errOut, filepath.Join(other, "mhhs.db")) {
		t.Errorf("recipient list --data %s: %q, want the database named", other, errOut)
	}
	if code, _, errOut := runCLI(t, "", "participant", "add", "--dip-id", "1200000001", "--roles", "SDS", "--generate", "keys", "--api-key-file", "sds.key"); code != exitOK {
		t.Fatalf("participant add: exit %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join("mhhs-data", "mhhs.db")); err != nil {
		t.Errorf("participant add did not create the store: %v", err)
	}
	if code, out, errOut := runCLI(t, "", "participant", "list"); code != exitOK || !strings.Contains(out, "1200000001") {
		t.Errorf("participant list after add: exit %d %s %s", code, out, errOut)
	}
}

// Subcommands report through one mapping: a mistake in the command line
// exits 2, a failure of what it asked for exits 1; either is one line on
// stderr naming the command.
func TestSubcommandErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	if code, _, errOut := runCLI(t, "", "participant", "add", "--dip-id", "1200000001", "--roles", "SDS", "--generate", "keys", "--api-key-file", "sds.key"); code != exitOK {
		t.Fatalf("participant add: %d %s", code, errOut)
	}
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"participant"}, exitUsage, "usage: mhhs participant COMMAND"},
		{[]string{"participant", "frobnicate"}, exitUsage, `mhhs participant: unknown command "frobnicate"`},
		{[]string{"participant", "add", "--dip-id", "12", "--roles", "SDS", "--generate", "keys"}, exitUsage, "mhhs participant add: "},
		{[]string{"participant", "add", "--dip-id", "1200000002", "--roles", "NOPE", "--generate", "keys"}, exitUsage, "mhhs participant add: "},
		{[]string{"participant", "add", "--dip-id", "1200000002", "--roles", "SDS"}, exitUsage, "mhhs participant add: give --cert-file or --generate DIR"},
		{[]string{"participant", "add", "--bogus"}, exitUsage, "flag provided but not defined: -bogus"},
		{[]string{"participant", "list", "extra"}, exitUsage, `mhhs participant list: unexpected argument "extra"`},
		{[]string{"participant", "disable"}, exitUsage, "mhhs participant disable: --dip-id is required"},
		{[]string{"participant", "disable", "--dip-id", "1900000009"}, exitFail, `mhhs participant disable: no participant "1900000009"`},
		{[]string{"participant", "webhook", "set", "--dip-id", "1200000001", "--channel", "IF-999", "--callback-url", "http://h/"}, exitUsage, `--channel "IF-999"`},
		{[]string{"participant", "webhook", "set", "--dip-id", "1200000001", "--channel", "IF-021", "--callback-url", "/hook"}, exitUsage, `--callback-url "/hook"`},
		{[]string{"participant", "webhook", "set", "--dip-id", "1200000001", "--callback-url", "http://h/"}, exitUsage, "--channel is required"},
		{[]string{"participant", "webhook", "remove", "--dip-id", "1200000001", "--channel", "IF-021"}, exitFail, "1200000001 has no webhook for IF-021"},
		{[]string{"participant", "webhook", "set", "--remote", "--dip-id", "1200000001", "--channel", "IF-021", "--callback-url", "http://h/"}, exitUsage, "--key-file"},
		{[]string{"journal"}, exitUsage, "mhhs journal: give one sender unique reference"},
		{[]string{"journal", "S-IF-021-1200000001-SDS-20250401-404"}, exitFail, "mhhs journal: no journal of S-IF-021-1200000001-SDS-20250401-404 sent by 1200000001"},
		{[]string{"recipient"}, exitUsage, "usage: mhhs recipient COMMAND"},
		{[]string{"recipient", "resume"}, exitUsage, "mhhs recipient resume: give the recipient's DIP id"},
		{[]string{"recipient", "frobnicate"}, exitUsage, `mhhs recipient: unknown command "frobnicate"`},
		{[]string{"send"}, exitUsage, "mhhs send: give one file"},
		{[]string{"send", "missing.json"}, exitUsage, "mhhs send: open missing.json"},
		{[]string{"send", "--dip-id", "1200000001", "-"}, exitUsage, "mhhs send: --dip-id, --key-file, --cert-file and --api-key-file are required"},
	} {
		code, out, errOut := runCLI(t, "", tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.stderr) {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit %d and %q", tc.args, code, errOut, out, tc.code, tc.stderr)
		}
	}
}
