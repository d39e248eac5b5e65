package archive

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/mhhs/mhhs/internal/dip"
)

var day1 = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)

func ctx() context.Context { return context.Background() }

func msgAt(i int, at time.Time) dip.ArchivedMessage {
	return dip.ArchivedMessage{
		Seq: int64(i), TransactionID: fmt.Sprintf("T-IF-021-%d", i), Channel: "IF-021", EventCode: "[ActivePower]",
		Sender: "1200000001", SenderRole: "SDS", SenderUniqueReference: fmt.Sprintf("S-%d", i), AcceptedAt: at,
		Recipients: []dip.ArchivedRecipient{{DIPID: "1800000001", Role: "MDS", Route: dip.Always, Status: dip.StatusDelivered, Attempts: 1}},
		Attempts:   []dip.ArchivedAttempt{{Recipient: "1800000001", At: at.Add(time.Second), DurationUS: 1500, StatusCode: 201, Status: dip.StatusDelivered}},
		Body:       []byte(fmt.Sprintf(`{"CommonBlock": {"n": %d}}`, i)),
	}
}

func open(t *testing.T, dir string) *Dir {
	t.Helper()
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func write(t *testing.T, d *Dir, ms ...dip.ArchivedMessage) []dip.ArchiveLocation {
	t.Helper()
	locs, err := d.Write(ctx(), ms)
	if err != nil {
		t.Fatal(err)
	}
	return locs
}

// streamLines decompresses a day file as one zstd stream, as zstd -dc does
// (skipping the part headers), and returns its lines.
func streamLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s as one zstd stream: %v", path, err)
	}
	return out
}

// TestWriteReadAppend: messages go to their UTC day's file; rounds append
// parts; each location reads its message back; the file reads as one zstd
// stream of every line, with the real zstd tool too when installed.
func TestWriteReadAppend(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "archive")
	d := open(t, dir)
	a := msgAt(1, day1.Add(23*time.Hour+59*time.Minute))
	b := msgAt(2, day1.Add(24*time.Hour)) // the next day
	b.Body = []byte{0xff, 0x00, 'x'}      // not JSON: base64
	la := write(t, d, a, b)
	if !la[0].Day.Equal(day1) || !la[1].Day.Equal(day1.AddDate(0, 0, 1)) || la[0].Offset != 0 || la[1].Offset != 0 {
		t.Fatalf("locations %+v", la)
	}
	c := msgAt(3, day1.Add(time.Hour))
	lc := write(t, d, c)
	if !lc[0].Day.Equal(day1) || lc[0].Offset == 0 {
		t.Fatalf("second round's location %+v: want an appended part of %s", lc[0], day1)
	}
	for i, tc := range []struct {
		m   dip.ArchivedMessage
		loc dip.ArchiveLocation
	}{{a, la[0]}, {b, la[1]}, {c, lc[0]}} {
		got, err := d.Read(ctx(), tc.loc, tc.m.Sender, tc.m.SenderUniqueReference)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if got.TransactionID != tc.m.TransactionID || !got.AcceptedAt.Equal(tc.m.AcceptedAt) || len(got.Attempts) != 1 || got.Attempts[0].DurationUS != 1500 {
			t.Errorf("%d: read %+v", i, got)
		}
		want := tc.m.Body
		if json.Valid(want) {
			var buf bytes.Buffer
			json.Compact(&buf, want)
			want = buf.Bytes()
		}
		if !bytes.Equal(got.Body, want) {
			t.Errorf("%d: body %q, want %q", i, got.Body, want)
		}
	}
	if _, err := d.Read(ctx(), la[0], "1200000001", "S-3"); err != dip.ErrNotFound {
		t.Errorf("S-3 in the first part: %v", err)
	}
	path := filepath.Join(dir, "2026-12-07.jsonl.zst")
	lines := streamLines(t, path)
	if len(lines) != 2 {
		t.Fatalf("one stream of %s: %d lines, want 2", path, len(lines))
	}
	if zstdTool, err := exec.LookPath("zstd"); err == nil {
		out, err := exec.Command(zstdTool, "-dc", path).Output()
		if err != nil {
			t.Fatalf("zstd -dc: %v", err)
		}
		if n := bytes.Count(out, []byte("\n")); n != 2 || !bytes.Contains(out, []byte(`"senderUniqueReference":"S-3"`)) {
			t.Errorf("zstd -dc: %d lines:\n%s", n, out)
		}
	}
	days, err := d.Days()
	if err != nil || len(days) != 2 || !days[0].Equal(day1) {
		t.Errorf("days %v %v", days, err)
	}
}

// TestDuplicateLastWins: a message written twice (a purge that crashed
// before its delete) is read once, its last line.
func TestDuplicateLastWins(t *testing.T) {
	d := open(t, t.TempDir())
	m := msgAt(1, day1)
	write(t, d, m, msgAt(2, day1))
	m.Recipients[0].Attempts = 2
	loc := write(t, d, m)[0]
	ms, err := d.Messages(ctx(), day1)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Fatalf("%d messages, want 2 (deduped on transaction id)", len(ms))
	}
	if ms[1].TransactionID != m.TransactionID || ms[1].Recipients[0].Attempts != 2 {
		t.Errorf("kept %+v, want the last line", ms[1])
	}
	got, err := d.Read(ctx(), loc, m.Sender, m.SenderUniqueReference)
	if err != nil || got.Recipients[0].Attempts != 2 {
		t.Errorf("read %+v %v", got, err)
	}
}

// TestTornTailCut: a part cut short by a crash (or complete in length but
// not in content) is cut off by the next append, which leaves the file one
// whole zstd stream; the messages of the torn part were never deleted from
// the store, so nothing is lost.
func TestTornTailCut(t *testing.T) {
	for _, tc := range []struct {
		name string
		tear func(path string, good, size int64)
	}{
		{"short", func(path string, _, size int64) { os.Truncate(path, size-7) }},
		{"header only", func(path string, good, _ int64) { os.Truncate(path, good+headerLen/2) }},
		{"garbled", func(path string, _, size int64) {
			f, _ := os.OpenFile(path, os.O_RDWR, 0)
			f.WriteAt([]byte{0, 0, 0, 0}, size-5)
			f.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			d := open(t, dir)
			path := filepath.Join(dir, FileName(day1))
			write(t, d, msgAt(1, day1))
			st, _ := os.Stat(path)
			good := st.Size()
			write(t, d, msgAt(2, day1))
			st, _ = os.Stat(path)
			tc.tear(path, good, st.Size())
			if err := d.Scan(ctx(), day1, func(dip.ArchivedMessage, dip.ArchiveLocation) error { return nil }); err == nil {
				t.Error("scan of a torn file: no error")
			}
			loc := write(t, d, msgAt(3, day1))[0]
			if loc.Offset != good {
				t.Errorf("appended at %d, want %d (the torn part cut off)", loc.Offset, good)
			}
			lines := streamLines(t, path)
			if len(lines) != 2 || !bytes.Contains([]byte(lines[1]), []byte(`"S-3"`)) {
				t.Errorf("after the cut: %q", lines)
			}
		})
	}
}

// TestNotAnArchive: a file that is not parts is not appended to (nor cut).
func TestNotAnArchive(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName(day1))
	junk := bytes.Repeat([]byte("not an archive "), 10)
	os.WriteFile(path, junk, 0o600)
	d := open(t, dir)
	if _, err := d.Write(ctx(), []dip.ArchivedMessage{msgAt(1, day1)}); err == nil {
		t.Error("appended to a file that is not an archive")
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, junk) {
		t.Error("the file was changed")
	}
}

// FuzzScan: any file content is scanned without a panic, and content made
// of whole parts of valid lines scans without error.
func FuzzScan(f *testing.F) {
	dir := f.TempDir()
	d, err := Open(dir)
	if err != nil {
		f.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Write(ctx(), []dip.ArchivedMessage{msgAt(1, day1), msgAt(2, day1)}); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(filepath.Join(dir, FileName(day1)))
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add([]byte{0x50, 0x2a, 0x4d, 0x18, 8, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		n := 0
		err := d.scan(ctx(), bytes.NewReader(b), int64(len(b)), day1, func(m dip.ArchivedMessage, _ dip.ArchiveLocation) error {
			if m.TransactionID == "" {
				t.Fatal("a line without a transaction id")
			}
			n++
			return nil
		})
		if bytes.Equal(b, good) && (err != nil || n != 2) {
			t.Fatalf("the good file: %d lines, %v", n, err)
		}
	})
}
