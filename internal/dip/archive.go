package dip

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"time"
)

// ArchivedMessage is a purged message as the archive keeps it: the message,
// its recipients' delivery outcomes and every attempt, so that its journal
// can be answered after the store has forgotten it. It is one line of an
// archive file (ArchiveLine), JSON.
type ArchivedMessage struct {
	Seq                   int64               `json:"seq"` // in the store that purged it
	TransactionID         string              `json:"transactionId"`
	Channel               string              `json:"channel"`
	EventCode             string              `json:"eventCode"`
	Sender                string              `json:"sender"`
	SenderRole            string              `json:"senderRole"`
	SenderUniqueReference string              `json:"senderUniqueReference"`
	CorrelationID         string              `json:"correlationId,omitempty"`
	MPAN                  string              `json:"mpan,omitempty"`
	AcceptedAt            time.Time           `json:"acceptedAt"`
	MPANUpdated           bool                `json:"mpanUpdated,omitempty"`
	Recipients            []ArchivedRecipient `json:"recipients"`
	Attempts              []ArchivedAttempt   `json:"attempts"`
	// Body is the egress payload as delivered. An archive line holds it as
	// JSON ("body") when it is JSON, otherwise base64 ("bodyBase64").
	Body []byte `json:"-"`
}

// ArchivedRecipient is a recipient of an archived message and how its
// delivery ended.
type ArchivedRecipient struct {
	DIPID     string `json:"dipId"`
	Role      string `json:"role"`
	Route     Route  `json:"route"`
	Status    Status `json:"status"` // Delivered, RejectedByRecipient or RetriesExhausted
	Attempts  int    `json:"attempts"`
	LastError string `json:"lastError,omitempty"`
}

// ArchivedAttempt is one delivery attempt of an archived message (an
// Outbound journal line).
type ArchivedAttempt struct {
	Recipient  string    `json:"recipient"`
	At         time.Time `json:"at"`
	DurationUS int64     `json:"durationUs"`
	StatusCode int       `json:"statusCode"`
	Status     Status    `json:"status"`
	Error      string    `json:"error,omitempty"`
}

// ArchiveLocation is where an archive holds a message: the UTC day of its
// acceptance (the day's file) and the offset in that file of the part
// (one purge round's frame) holding its line.
type ArchiveLocation struct {
	Day    time.Time // midnight UTC
	Offset int64
}

// ArchiveEntry is the archive index entry of a message the store purges:
// its seq in the store, its sender's reference, and where it went.
type ArchiveEntry struct {
	Seq                   int64
	Sender                string
	SenderUniqueReference string
	Location              ArchiveLocation
}

// Archiver keeps purged messages outside the store (internal/archive:
// zstd-compressed JSON lines, a file per day).
type Archiver interface {
	// Write appends msgs to the archive and returns only once they are
	// durable, with each one's location (in msgs' order). Writing a
	// message twice (a purge that crashed before its delete, then ran
	// again) leaves two lines: readers keep the last line of a
	// transaction id.
	Write(ctx context.Context, msgs []ArchivedMessage) ([]ArchiveLocation, error)
	// Read returns the message of sender's reference at loc (ErrNotFound
	// when the part at loc does not hold it).
	Read(ctx context.Context, loc ArchiveLocation, sender, senderUniqueReference string) (ArchivedMessage, error)
}

// ArchiveDay is the UTC day of t, the day whose file archives a message
// accepted at t.
func ArchiveDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ArchiveKey is the archive index's key of a sender's reference: 64 bits of
// FNV-1a over both. Keys may collide; the index returns every location of
// a key and the reader checks the sender and reference of the line.
func ArchiveKey(sender, senderUniqueReference string) int64 {
	h := fnv.New64a()
	h.Write([]byte(sender))
	h.Write([]byte{0})
	h.Write([]byte(senderUniqueReference))
	return int64(h.Sum64())
}

// archiveLine is an ArchivedMessage's JSON form with its body.
type archiveLine struct {
	V int `json:"v"` // format version, 1
	ArchivedMessage
	Body       json.RawMessage `json:"body,omitempty"`
	BodyBase64 string          `json:"bodyBase64,omitempty"`
}

// ArchiveLineVersion is the version of the archive line format (its "v").
const ArchiveLineVersion = 1

// ArchiveLine encodes m as one line of an archive file: JSON, ending in a
// newline. The body is compacted (an indented body would break the line),
// which is also its only validation.
func ArchiveLine(m ArchivedMessage) ([]byte, error) {
	head, err := json.Marshal(archiveLine{V: ArchiveLineVersion, ArchivedMessage: m})
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(head)+len(m.Body)+16)
	b = append(b, head[:len(head)-1]...) // without its closing brace
	if len(m.Body) > 0 {
		var buf bytes.Buffer
		buf.Grow(len(m.Body))
		if json.Compact(&buf, m.Body) == nil {
			b = append(b, `,"body":`...)
			b = append(b, buf.Bytes()...)
		} else {
			b = append(b, `,"bodyBase64":"`...)
			b = base64.StdEncoding.AppendEncode(b, m.Body)
			b = append(b, '"')
		}
	}
	return append(b, '}', '\n'), nil
}

// ParseArchiveLine decodes one line of an archive file (ArchiveLine's form,
// with or without its newline).
func ParseArchiveLine(b []byte) (ArchivedMessage, error) {
	var l archiveLine
	if err := json.Unmarshal(b, &l); err != nil {
		return ArchivedMessage{}, fmt.Errorf("dip: archive line: %w", err)
	}
	if l.V != ArchiveLineVersion {
		return ArchivedMessage{}, fmt.Errorf("dip: archive line of version %d, want %d", l.V, ArchiveLineVersion)
	}
	if l.TransactionID == "" || l.Sender == "" || l.SenderUniqueReference == "" {
		return ArchivedMessage{}, errors.New("dip: archive line without transaction id, sender or reference")
	}
	m := l.ArchivedMessage
	switch {
	case len(l.Body) > 0 && l.BodyBase64 != "":
		return ArchivedMessage{}, errors.New("dip: archive line with both body and bodyBase64")
	case len(l.Body) > 0:
		m.Body = []byte(l.Body)
	case l.BodyBase64 != "":
		b, err := base64.StdEncoding.DecodeString(l.BodyBase64)
		if err != nil {
			return ArchivedMessage{}, fmt.Errorf("dip: archive line body: %w", err)
		}
		m.Body = b
	}
	return m, nil
}

// Message returns the archived message as the store held it (with its
// body).
func (a ArchivedMessage) Message() Message {
	m := Message{Seq: a.Seq, TransactionID: a.TransactionID, Channel: a.Channel, EventCode: a.EventCode,
		SenderDIPID: a.Sender, SenderRole: a.SenderRole, SenderUniqueReference: a.SenderUniqueReference,
		CorrelationID: a.CorrelationID, MPAN: a.MPAN, AcceptedAt: a.AcceptedAt, Body: a.Body}
	for _, r := range a.Recipients {
		m.Recipients = append(m.Recipients, Recipient{DIPID: r.DIPID, Role: r.Role, Route: r.Route})
	}
	return m
}

// Journal returns the archived message's journal, the one the store
// answered before it purged the message; Archived is where it was read.
func (a ArchivedMessage) Journal(loc ArchiveLocation) JournalRecord {
	m := a.Message()
	m.Body = nil
	rec := JournalRecord{Message: m, Entries: AcceptedJournal(&m, a.MPANUpdated), Archived: &loc}
	for _, at := range a.Attempts {
		rec.Entries = append(rec.Entries, AttemptJournal(Attempt{Recipient: at.Recipient, At: at.At,
			Duration: time.Duration(at.DurationUS) * time.Microsecond, StatusCode: at.StatusCode, Status: at.Status, Error: at.Error}))
	}
	return rec
}

// ArchiveIndex is the optional capability of a store with an archive index
// (both stores): the candidates of an archiving purge, their purge with
// their index entries, and the index's answer.
type ArchiveIndex interface {
	// ArchiveCandidates returns, in seq order, at most limit messages
	// with seq greater than afterSeq that Purge(cutoff) would delete
	// (accepted before cutoff, every delivery final), each with its
	// recipients' outcomes, its attempts and its body.
	ArchiveCandidates(ctx context.Context, cutoff time.Time, afterSeq int64, limit int) ([]ArchivedMessage, error)
	// PurgeArchived deletes the messages of entries that are still
	// purgeable (accepted before cutoff, every delivery final: one
	// requeued since ArchiveCandidates stays), with their deliveries and
	// attempts, and records the index entry of each it deletes, in one
	// transaction; then the rejections and ended requeue jobs from before
	// cutoff, as Purge. It returns how many messages it deleted.
	PurgeArchived(ctx context.Context, cutoff time.Time, entries []ArchiveEntry) (int, error)
	// ArchivedAt returns the index's locations of a sender's reference,
	// newest first (ErrNotFound when none).
	ArchivedAt(ctx context.Context, sender, senderUniqueReference string) ([]ArchiveLocation, error)
}

// ArchiveBatch is how many messages PurgeArchive archives and deletes at a
// time: one read, one append to the archive (a frame per day file, with
// an fsync) and one transaction.
const ArchiveBatch = 2000

// PurgeArchive purges the store as Purge does, writing each message to the
// archive first: a batch of candidates is made durable in the archive
// before the transaction that deletes them and records their index
// entries. A crash (or a failed delete) between the two leaves the
// messages in the store and their lines in the archive; the next purge
// writes them again and deletes them, so the archive may hold a message
// twice (readers keep the last line of a transaction id) but never loses
// one. It returns how many messages it deleted.
func PurgeArchive(ctx context.Context, s ArchiveIndex, a Archiver, cutoff time.Time) (int, error) {
	total := 0
	var after int64
	for {
		msgs, err := s.ArchiveCandidates(ctx, cutoff, after, ArchiveBatch)
		if err != nil {
			return total, err
		}
		if len(msgs) == 0 {
			break
		}
		locs, err := a.Write(ctx, msgs)
		if err != nil {
			return total, fmt.Errorf("archive: %w", err)
		}
		entries := make([]ArchiveEntry, len(msgs))
		for i, m := range msgs {
			entries[i] = ArchiveEntry{Seq: m.Seq, Sender: m.Sender, SenderUniqueReference: m.SenderUniqueReference, Location: locs[i]}
		}
		n, err := s.PurgeArchived(ctx, cutoff, entries)
		total += n
		if err != nil {
			return total, err
		}
		after = msgs[len(msgs)-1].Seq
	}
	// The rejections and requeue jobs, when no message was old enough.
	_, err := s.PurgeArchived(ctx, cutoff, nil)
	return total, err
}

// JournalOf returns the journal of a sender's message from the store or,
// when the store has purged it, from the archive (JournalRecord.Archived
// says where). a nil: the store's answer.
func JournalOf(ctx context.Context, s Archive, a Archiver, sender, senderUniqueReference string) (JournalRecord, error) {
	rec, err := s.Journal(ctx, sender, senderUniqueReference)
	idx, ok := s.(ArchiveIndex)
	if !errors.Is(err, ErrNotFound) || a == nil || !ok {
		return rec, err
	}
	locs, err := idx.ArchivedAt(ctx, sender, senderUniqueReference)
	if err != nil {
		return JournalRecord{}, err
	}
	for _, loc := range locs {
		m, err := a.Read(ctx, loc, sender, senderUniqueReference)
		if errors.Is(err, ErrNotFound) {
			continue // another reference with the same key
		}
		if err != nil {
			return JournalRecord{}, fmt.Errorf("the journal of %s is archived (day %s) but cannot be read: %w", senderUniqueReference, loc.Day.Format(time.DateOnly), err)
		}
		return m.Journal(loc), nil
	}
	return JournalRecord{}, ErrNotFound
}
