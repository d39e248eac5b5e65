package dip

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var someRecipients = []Recipient{
	{DIPID: "1800000001", Role: "MDS", Route: Always},
	{DIPID: "2300000001", Role: "SUP", Route: Primary},
	{DIPID: "2500000012", Role: "LDSO", Route: Secondary},
	{DIPID: "1900000001", Role: "LSS", Route: Always},
	{DIPID: "2300000002", Role: "SUP", Route: Primary},
}

// TestRecipientMap: the journal's RecipientMap groups recipients by route,
// Primary, Secondary, Always, each in routing order, and names the empty
// routes too.
func TestRecipientMap(t *testing.T) {
	for _, tt := range []struct {
		rs   []Recipient
		want string
	}{
		{nil, "Primary:[];Secondary:[];Always:[]"},
		{someRecipients, "Primary:[SUP:2300000001,SUP:2300000002];Secondary:[LDSO:2500000012];Always:[MDS:1800000001,LSS:1900000001]"},
		{someRecipients[2:3], "Primary:[];Secondary:[LDSO:2500000012];Always:[]"},
	} {
		if got := RecipientMap(tt.rs); got != tt.want {
			t.Errorf("RecipientMap(%v)\n got %s\nwant %s", tt.rs, got, tt.want)
		}
	}
}

// TestRecipientsEncoding: the stored form keeps route, role and DIP id in
// order, whatever they contain; a damaged value decodes to nothing.
func TestRecipientsEncoding(t *testing.T) {
	odd := append(slices.Clone(someRecipients), Recipient{DIPID: `a"b\c`, Role: "é", Route: "Other"})
	for _, rs := range [][]Recipient{someRecipients, odd, {}} {
		s := EncodeRecipients(rs)
		if got := DecodeRecipients(s); !cmp.Equal(got, rs) {
			t.Errorf("round trip of %s: %v", s, cmp.Diff(rs, got))
		}
	}
	if got := EncodeRecipients(someRecipients[:1]); got != `[["Always","MDS","1800000001"]]` {
		t.Errorf("stored form %s", got)
	}
	for _, bad := range []string{"", "[", `[["a","b"],`, "{}"} {
		if got := DecodeRecipients(bad); got != nil {
			t.Errorf("DecodeRecipients(%q) = %v, want nil", bad, got)
		}
	}
}

// TestAcceptedJournal: an accepted message's journal begins Inbound
// GoodToGo (201), then MPANUpdateQueue OK only when it changed the
// registration, then Addressing SentToTopic with the recipient map; all
// at its acceptance.
func TestAcceptedJournal(t *testing.T) {
	at := time.Date(2025, 4, 1, 10, 0, 0, 0, time.UTC)
	m := &Message{AcceptedAt: at, Recipients: someRecipients}
	addressing := JournalEntry{At: at, Stage: "Addressing", Status: "SentToTopic", Reason: RecipientMap(someRecipients)}
	inbound := JournalEntry{At: at, Stage: "Inbound", Status: "GoodToGo", StatusCode: 201}
	if got, want := AcceptedJournal(m, false), []JournalEntry{inbound, addressing}; !cmp.Equal(got, want) {
		t.Errorf("no update: %s", cmp.Diff(want, got))
	}
	want := []JournalEntry{inbound, {At: at, Stage: "MPANUpdateQueue", Status: "OK"}, addressing}
	if got := AcceptedJournal(m, true); !cmp.Equal(got, want) {
		t.Errorf("with an update: %s", cmp.Diff(want, got))
	}
}

// TestAttemptAndRejectedJournal: an attempt is an Outbound line with its
// status, recipient, HTTP status, error and duration; a refusal is an
// Inbound InboundRuleFailure (400) whose reason begins with the code.
func TestAttemptAndRejectedJournal(t *testing.T) {
	at := time.Date(2025, 4, 1, 10, 0, 0, 0, time.UTC)
	a := Attempt{Seq: 7, Recipient: "1800000001", At: at, Duration: 3 * time.Millisecond, StatusCode: 500,
		Status: StatusRetrying, Error: "boom", Next: at.Add(time.Second), Failure: true}
	want := JournalEntry{At: at, Stage: "Outbound", Status: "Retrying", Recipient: "1800000001", StatusCode: 500, Reason: "boom", Duration: 3 * time.Millisecond}
	if got := AttemptJournal(a); got != want {
		t.Errorf("AttemptJournal: %s", cmp.Diff(want, got))
	}
	r := Rejection{SenderDIPID: "1200000001", SenderUniqueReference: "S-1", Channel: "IF-021", At: at, Code: "MSG4004", Reason: "not you"}
	wantR := JournalEntry{At: at, Stage: "Inbound", Status: "InboundRuleFailure", StatusCode: 400, Reason: "MSG4004 not you"}
	if got := RejectedJournal(r); got != wantR {
		t.Errorf("RejectedJournal: %s", cmp.Diff(wantR, got))
	}
}

// TestMicros: the stores' microseconds keep the zero time as 0, and come
// back in UTC, truncated to the microsecond.
func TestMicros(t *testing.T) {
	if Micros(time.Time{}) != 0 || !FromMicros(0).IsZero() {
		t.Errorf("zero time: %d %v", Micros(time.Time{}), FromMicros(0))
	}
	at := time.Date(2025, 10, 26, 1, 30, 0, 123456789, time.FixedZone("BST", 3600))
	got := FromMicros(Micros(at))
	if !got.Equal(at.Truncate(time.Microsecond)) || got.Location() != time.UTC {
		t.Errorf("round trip of %v: %v", at, got)
	}
}

// TestStatusFinal: the statuses a delivery ends in.
func TestStatusFinal(t *testing.T) {
	final := map[Status]bool{StatusDelivered: true, StatusRejectedByRecipient: true, StatusRetriesExhausted: true,
		StatusPending: false, StatusRetrying: false, StatusPaused: false, StatusDeliveryFailure: false}
	for s, want := range final {
		if s.Final() != want {
			t.Errorf("%s.Final() = %v", s, !want)
		}
	}
}

// TestRequeueJobEffective: a Processing job is abandoned after
// RequeueStaleAfter without progress, and then reads as Failed, or
// PartialCompletion when it requeued any; ended jobs do not change.
func TestRequeueJobEffective(t *testing.T) {
	at := time.Date(2025, 4, 1, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		job  RequeueJob
		now  time.Time
		want RequeueStatus
	}{
		{RequeueJob{Status: RequeueProcessing, Updated: at}, at.Add(RequeueStaleAfter - time.Nanosecond), RequeueProcessing},
		{RequeueJob{Status: RequeueProcessing, Updated: at}, at.Add(RequeueStaleAfter), RequeueFailed},
		{RequeueJob{Status: RequeueProcessing, Updated: at, Processed: 3}, at.Add(time.Hour), RequeuePartial},
		{RequeueJob{Status: RequeueCompleted, Updated: at}, at.Add(time.Hour), RequeueCompleted},
	} {
		if got := tt.job.Effective(tt.now).Status; got != tt.want {
			t.Errorf("%+v at +%v: %s, want %s", tt.job, tt.now.Sub(at), got, tt.want)
		}
	}
}
