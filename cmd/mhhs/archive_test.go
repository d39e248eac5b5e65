package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/sqlite"
)

// archivedStore makes a DIP data directory whose store held two delivered
// IF-021 messages of 2025-04-01 and one still undelivered, and runs serve's
// purge (retention one day, archive DATA/archive) over it until the first
// round is done. It returns the data directory and the references.
func archivedStore(t *testing.T) (data string, refs []string) {
	t.Helper()
	ctx := context.Background()
	data = t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(data, "mhhs.db"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
	var msgs []*dip.Message
	for i := 1; i <= 3; i++ {
		ref := fmt.Sprintf("S-IF-021-1200000001-SDS-20250401-%d", i)
		refs = append(refs, ref)
		msgs = append(msgs, &dip.Message{TransactionID: dip.NewTransactionID("IF-021", "1200000001", "SDS", at), Channel: "IF-021", EventCode: "[ActivePower]",
			SenderDIPID: "1200000001", SenderRole: "SDS", SenderUniqueReference: ref, MPAN: "1200023305967", AcceptedAt: at.Add(time.Duration(i) * time.Minute),
			Body:       []byte(fmt.Sprintf(`{"CommonBlock":{"n":%d}}`, i)),
			Recipients: []dip.Recipient{{DIPID: "1800000001", Role: "MDS", Route: dip.Always}}})
	}
	res, err := store.Accept(ctx, msgs)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Complete(ctx, []dip.Attempt{
		{Seq: res[0].Seq, Recipient: "1800000001", At: at.Add(time.Hour), Duration: time.Millisecond, StatusCode: 201, Status: dip.StatusDelivered},
		{Seq: res[1].Seq, Recipient: "1800000001", At: at.Add(time.Hour), Duration: time.Millisecond, StatusCode: 201, Status: dip.StatusDelivered},
	}, 0); err != nil {
		t.Fatal(err)
	}
	arch, closeArchive, err := openArchive("", data)
	if err != nil {
		t.Fatal(err)
	}
	defer closeArchive()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		purge(runCtx, store, arch, 24*time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := store.Journal(ctx, "1200000001", refs[1]); err == dip.ErrNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("serve's purge did not purge in 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	return data, refs
}

// TestJournalFromArchive: serve's purge archives the delivered messages
// into DATA/archive; mhhs journal answers for them from the archive,
// saying so, and for the undelivered one from the store; mhhs archive list
// and show read the archive; zstd -dc reads its file, when installed.
func TestJournalFromArchive(t *testing.T) {
	data, refs := archivedStore(t)
	code, out, errOut := runCLI(t, "", "journal", "--data", data, refs[0])
	file := filepath.Join(data, "archive", "2025-04-01.jsonl.zst")
	if code != exitOK || !strings.Contains(out, "from the archive: "+file) || !strings.Contains(out, "Delivered") || !strings.Contains(out, "1200023305967") {
		t.Errorf("journal of an archived message: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "", "journal", "--data", data, refs[2])
	if code != exitOK || strings.Contains(out, "archive") {
		t.Errorf("journal of a message in the store: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "", "journal", "--data", data, "--archive", "none", refs[0]); code != exitFail || !strings.Contains(errOut, "no journal") {
		t.Errorf("journal without the archive: exit %d %s", code, errOut)
	}
	code, out, errOut = runCLI(t, "", "archive", "list", "--data", data)
	if code != exitOK || !strings.Contains(out, "2025-04-01") || !lineEndsWith(out, "2025-04-01", "2", "2") {
		t.Errorf("archive list: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "", "archive", "show", "--data", data, refs[1])
	if code != exitOK || strings.Count(out, "\n") != 1 || !strings.Contains(out, `"senderUniqueReference":"`+refs[1]+`"`) || !strings.Contains(out, `"body":{"CommonBlock":{"n":2}}`) {
		t.Errorf("archive show %s: exit %d\n%s%s", refs[1], code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "archive", "show", "--archive", filepath.Join(data, "archive"), "--day", "2025-04-01")
	if code != exitOK || strings.Count(out, "\n") != 2 {
		t.Errorf("archive show --day: exit %d\n%s", code, out)
	}
	if code, _, errOut := runCLI(t, "", "archive", "show", "--data", data, refs[2]); code != exitFail || !strings.Contains(errOut, "no archived message") {
		t.Errorf("archive show of a message not archived: exit %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "archive", "list", "--data", t.TempDir()); code != exitFail || !strings.Contains(errOut, "no archive at") {
		t.Errorf("archive list without an archive: exit %d %s", code, errOut)
	}
	if zstd, err := exec.LookPath("zstd"); err == nil {
		b, err := exec.Command(zstd, "-dc", file).Output()
		if err != nil || bytes.Count(b, []byte("\n")) != 2 {
			t.Errorf("zstd -dc %s: %v\n%s", file, err, b)
		}
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatal(err)
	}
}

// lineEndsWith reports whether a line of out starts with first and has
// the fields want at its end.
func lineEndsWith(out, first string, want ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= len(want)+1 && f[0] == first {
			tail := f[len(f)-len(want):]
			for i := range want {
				if tail[i] != want[i] {
					return false
				}
			}
			return true
		}
	}
	return false
}
