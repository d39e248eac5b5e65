package dip

import (
	"strings"
	"time"
)

// EncodeRecipients writes recipients in the stored form route:role:dipid;…
// (shared by the store adapters).
func EncodeRecipients(rs []Recipient) string {
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(string(r.Route) + ":" + r.Role + ":" + r.DIPID)
	}
	return b.String()
}

// DecodeRecipients reads EncodeRecipients' form.
func DecodeRecipients(s string) []Recipient {
	if s == "" {
		return nil
	}
	var out []Recipient
	for _, part := range strings.Split(s, ";") {
		f := strings.SplitN(part, ":", 3)
		if len(f) == 3 {
			out = append(out, Recipient{Route: Route(f[0]), Role: f[1], DIPID: f[2]})
		}
	}
	return out
}

// RecipientMap renders recipients as the journal's RecipientMap text:
// Primary:[SUP:…];Secondary:[LDSO:…];Always:[MDS:…].
func RecipientMap(rs []Recipient) string {
	var parts []string
	for _, route := range []Route{Primary, Secondary, Always} {
		var ids []string
		for _, r := range rs {
			if r.Route == route {
				ids = append(ids, r.Role+":"+r.DIPID)
			}
		}
		parts = append(parts, string(route)+":["+strings.Join(ids, ",")+"]")
	}
	return strings.Join(parts, ";")
}

// AcceptedJournal returns the journal lines of an accepted message before
// its deliveries: Inbound GoodToGo, MPANUpdateQueue OK when it changed the
// registration state, and Addressing SentToTopic with the recipient map.
// Store adapters append the Outbound lines of each attempt.
func AcceptedJournal(m *Message, mpanUpdated bool) []JournalEntry {
	out := []JournalEntry{{At: m.AcceptedAt, Stage: "Inbound", Status: "GoodToGo", StatusCode: 201}}
	if mpanUpdated {
		out = append(out, JournalEntry{At: m.AcceptedAt, Stage: "MPANUpdateQueue", Status: "OK"})
	}
	return append(out, JournalEntry{At: m.AcceptedAt, Stage: "Addressing", Status: "SentToTopic", Reason: RecipientMap(m.Recipients)})
}

// AttemptJournal is the Outbound journal line of one attempt.
func AttemptJournal(a Attempt) JournalEntry {
	return JournalEntry{At: a.At, Stage: "Outbound", Status: string(a.Status), Recipient: a.Recipient,
		StatusCode: a.StatusCode, Reason: a.Error, Duration: a.Duration}
}

// RejectedJournal is the Inbound journal line of a refused message.
func RejectedJournal(r Rejection) JournalEntry {
	return JournalEntry{At: r.At, Stage: "Inbound", Status: "InboundRuleFailure", StatusCode: 400, Reason: r.Code + " " + r.Reason}
}

// micros converts between time.Time and the stores' Unix microseconds.
func Micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// FromMicros is the inverse of Micros.
func FromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}
