package dip

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestArchiveLineRoundTrip: a line reads back as the message it archived,
// a JSON body as JSON (compacted, so the line stays one line), any other
// body as base64; the journal of the line is the store's journal.
func TestArchiveLineRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 7, 23, 59, 0, 0, time.UTC)
	m := ArchivedMessage{Seq: 7, TransactionID: "T-1", Channel: "IF-021", EventCode: "[ActivePower]", Sender: "1200000001", SenderRole: "SDS",
		SenderUniqueReference: "S-1", MPAN: "1200023305967", AcceptedAt: at, MPANUpdated: true,
		Recipients: []ArchivedRecipient{{DIPID: "1800000001", Role: "MDS", Route: Always, Status: StatusDelivered, Attempts: 2}},
		Attempts: []ArchivedAttempt{{Recipient: "1800000001", At: at.Add(time.Second), DurationUS: 20000, StatusCode: 500, Status: StatusRetrying},
			{Recipient: "1800000001", At: at.Add(3 * time.Second), DurationUS: 1000, StatusCode: 201, Status: StatusDelivered}},
		Body: []byte("{\n  \"a\": 1\n}")}
	line, err := ArchiveLine(m)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(line, []byte("\n")) != 1 || !bytes.Contains(line, []byte(`"body":{"a":1}`)) {
		t.Fatalf("line %s", line)
	}
	got, err := ParseArchiveLine(line)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Body) != `{"a":1}` || got.TransactionID != "T-1" || !got.AcceptedAt.Equal(at) || len(got.Attempts) != 2 {
		t.Errorf("read back %+v", got)
	}
	rec := got.Journal(ArchiveLocation{Day: ArchiveDay(at)})
	var stages []string
	for _, e := range rec.Entries {
		stages = append(stages, e.Stage+"/"+e.Status)
	}
	if rec.Archived == nil || len(stages) != 5 {
		t.Fatalf("journal %+v", rec)
	}
	if s := strings.Join(stages, " "); s != "Inbound/GoodToGo MPANUpdateQueue/OK Addressing/SentToTopic Outbound/Retrying Outbound/Delivered" {
		t.Errorf("journal %s", s)
	}
	if rec.Entries[4].Duration != time.Millisecond || rec.Message.Recipients[0].DIPID != "1800000001" {
		t.Errorf("journal entries %+v", rec.Entries)
	}
	m.Body = []byte{0xff, 0xfe}
	line, _ = ArchiveLine(m)
	if got, err := ParseArchiveLine(line); err != nil || !bytes.Equal(got.Body, m.Body) || !bytes.Contains(line, []byte(`"bodyBase64":"//4="`)) {
		t.Errorf("binary body: %s %v", line, err)
	}
	for _, bad := range []string{`{}`, `{"v":2,"transactionId":"T","sender":"1","senderUniqueReference":"S"}`,
		`{"v":1,"transactionId":"T","sender":"1","senderUniqueReference":"S","body":{},"bodyBase64":"AA=="}`, `not json`} {
		if _, err := ParseArchiveLine([]byte(bad)); err == nil {
			t.Errorf("parsed %s", bad)
		}
	}
	if ArchiveDay(at) != time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC) || ArchiveDay(at.In(time.FixedZone("x", 3600))) != ArchiveDay(at) {
		t.Error("ArchiveDay is not the UTC day")
	}
}

// FuzzParseArchiveLine: any line parses or fails without a panic, and a
// line that parses encodes to one that parses to the same message.
func FuzzParseArchiveLine(f *testing.F) {
	f.Add([]byte(`{"v":1,"seq":1,"transactionId":"T","sender":"1","senderUniqueReference":"S","acceptedAt":"2026-12-07T00:00:00Z","recipients":[],"attempts":[],"body":{"a":[1]}}`))
	f.Add([]byte(`{"v":1,"transactionId":"T","sender":"1","senderUniqueReference":"S","bodyBase64":"AAEC"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseArchiveLine(b)
		if err != nil {
			return
		}
		line, err := ArchiveLine(m)
		if err != nil {
			t.Fatalf("re-encoding %q: %v", b, err)
		}
		again, err := ParseArchiveLine(line)
		if err != nil {
			t.Fatalf("re-encoded line %q: %v", line, err)
		}
		if again.TransactionID != m.TransactionID || again.SenderUniqueReference != m.SenderUniqueReference || !bytes.Equal(again.Body, compacted(m.Body)) {
			t.Fatalf("round trip %q -> %q", b, line)
		}
	})
}

// compacted is b compacted when it is JSON, else b.
func compacted(b []byte) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return b
	}
	return buf.Bytes()
}
