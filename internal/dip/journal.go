package dip

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// EncodeRecipients writes recipients in the stored form, a JSON array of
// [route, role, DIP id] (shared by the store adapters; SQLite derives the
// delivery rows from it with json_each).
func EncodeRecipients(rs []Recipient) string {
	b := []byte{'['}
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendQuote(b, string(r.Route))
		b = append(b, ',')
		b = strconv.AppendQuote(b, r.Role)
		b = append(b, ',')
		b = strconv.AppendQuote(b, r.DIPID)
		b = append(b, ']')
	}
	return string(append(b, ']'))
}

// DecodeRecipients reads EncodeRecipients' form.
func DecodeRecipients(s string) []Recipient {
	var rows [][3]string
	if json.Unmarshal([]byte(s), &rows) != nil {
		return nil
	}
	out := make([]Recipient, len(rows))
	for i, r := range rows {
		out[i] = Recipient{Route: Route(r[0]), Role: r[1], DIPID: r[2]}
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
