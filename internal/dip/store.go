package dip

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by stores for a missing webhook, recipient or
// journal.
var ErrNotFound = errors.New("dip: not found")

// Status is a journal status (reference §2d). The delivery statuses are the
// Outbound ones; Pending is mhhs's own: accepted, not yet attempted.
type Status string

// Statuses.
const (
	StatusPending             Status = "Pending"
	StatusDelivered           Status = "Delivered"
	StatusDeliveryFailure     Status = "DeliveryFailure"
	StatusRejectedByRecipient Status = "RejectedByRecipient"
	StatusRetrying            Status = "Retrying"
	StatusRetriesExhausted    Status = "RetriesExhausted"
	StatusPaused              Status = "Paused"
)

// Final reports whether a delivery in this status will not be attempted again
// (unless requeued).
func (s Status) Final() bool {
	return s == StatusDelivered || s == StatusRejectedByRecipient || s == StatusRetriesExhausted
}

// Delivery is one message for one recipient.
type Delivery struct {
	Seq           int64
	Recipient     string
	Role          string
	Route         Route
	Channel       string
	EventCode     string
	TransactionID string
	MPAN          string
	AcceptedAt    time.Time
	Status        Status
	Attempts      int
	NextAttempt   time.Time
	LastError     string
	Body          []byte // loaded by ClaimDue
}

// Attempt is the outcome of one delivery attempt, recorded by Complete.
type Attempt struct {
	Seq        int64
	Recipient  string
	At         time.Time
	Duration   time.Duration
	StatusCode int    // HTTP status, 0 when none
	Status     Status // Delivered, RejectedByRecipient, Retrying, RetriesExhausted
	Error      string
	Next       time.Time // when Status is Retrying
	// Failure counts toward the recipient's consecutive failures (a retry
	// or exhaustion); success resets them.
	Failure bool
}

// AcceptResult is the store's answer for one message of an Accept call.
type AcceptResult struct {
	Seq       int64
	Duplicate bool // the sender already sent this senderUniqueReference
}

// ClaimQuery selects due deliveries for a worker.
type ClaimQuery struct {
	Now     time.Time
	Limit   int
	Owner   string        // the claiming process, for diagnostics
	Lease   time.Duration // a claim expires after this: at-least-once after a crash
	Targets []Target      // only what a deliverer exists for
	// Run is how many consecutive undelivered deliveries of one recipient,
	// channel and MPAN a claim may take, in seq order, to go in one POST
	// (the hub's BatchSize); 0 or 1: only the first.
	Run int
}

// Target is a recipient the hub can deliver to and the channels it can
// deliver on (nil: every channel, for a co-located service). A delivery on a
// channel the recipient has no webhook for is not claimed: it waits for a
// webhook or a replay.
type Target struct {
	Recipient string
	Channels  []string
}

// RecipientState is a recipient's delivery health.
type RecipientState struct {
	Recipient           string
	Paused              bool
	PausedAt            time.Time
	ConsecutiveFailures int
}

// JournalEntry is one line of a message's journal (DIPJournalRecord).
type JournalEntry struct {
	At         time.Time
	Stage      string // Inbound, MPANUpdateQueue, Addressing, Outbound
	Status     string
	Recipient  string
	StatusCode int
	Reason     string
	Duration   time.Duration
}

// JournalRecord is what deliveryStatus returns for one senderUniqueReference.
type JournalRecord struct {
	Message  Message // without Body
	Rejected bool    // never accepted: Entries hold the InboundRuleFailure
	Entries  []JournalEntry
	// Archived is where the journal was read when the store had purged
	// the message and the archive answered (JournalOf); nil from the store.
	Archived *ArchiveLocation
}

// Rejection is an inbound message the DIP refused, kept for the journal.
type Rejection struct {
	SenderDIPID           string
	SenderUniqueReference string
	Channel               string
	EventCode             string
	MPAN                  string
	At                    time.Time
	Code                  string
	Reason                string
}

// ReplayQuery selects a recipient's messages on a channel.
type ReplayQuery struct {
	Channel        string // "" for every channel
	Recipient      string
	From, To       time.Time // zero: unbounded
	EventCode      string
	MPAN           string
	TransactionIDs []string
	AfterSeq       int64
	Limit          int
}

// RequeueJob is an asynchronous requeue (the API's requeue and
// requeueStatus): a recipient's messages on a channel made due again, a
// page at a time. Jobs are kept in the store, so that their status outlives
// the process that ran them and every process sharing a database sees the
// same jobs, and a recipient has at most one job Processing per channel.
type RequeueJob struct {
	ID, Recipient, Channel string
	Status                 RequeueStatus
	Total, Processed       int       // messages found and requeued so far
	Started, Updated       time.Time // Updated: the last progress recorded
}

// RequeueStatus is a requeue job's status, as the API reports it.
type RequeueStatus string

const (
	// RequeueProcessing: running, or abandoned (RequeueJob.Effective).
	RequeueProcessing RequeueStatus = "Processing"
	// RequeueCompleted: every message selected was requeued.
	RequeueCompleted RequeueStatus = "Completed"
	// RequeueFailed: it stopped before requeueing any.
	RequeueFailed RequeueStatus = "Failed"
	// RequeuePartial: it stopped after requeueing some.
	RequeuePartial RequeueStatus = "PartialCompletion"
)

// RequeueStaleAfter is how long a Processing job may go without recording
// progress before it counts as abandoned (its process stopped): its runner
// records progress after every page of 500 messages, which takes well under
// a second. An abandoned job no longer blocks a new one, and reads as
// Stopped.
const RequeueStaleAfter = 2 * time.Minute

// ErrRequeueRunning reports that a recipient's requeue on a channel is
// already Processing.
var ErrRequeueRunning = errors.New("dip: a requeue is running")

// Stopped is the status of a job that stopped before it was done: Failed,
// or PartialCompletion if it requeued any.
func (j RequeueJob) Stopped() RequeueStatus {
	if j.Processed > 0 {
		return RequeuePartial
	}
	return RequeueFailed
}

// Effective returns the job as of now: a Processing job that recorded no
// progress for RequeueStaleAfter was abandoned, and has Stopped.
func (j RequeueJob) Effective(now time.Time) RequeueJob {
	if j.Status == RequeueProcessing && now.Sub(j.Updated) >= RequeueStaleAfter {
		j.Status = j.Stopped()
	}
	return j
}

// PartiesLoader is the optional capability of a store that takes the MPAN
// → parties table in bulk: the registrations the Registration Service held
// before the DIP routed for it (a migration), which no message announced.
// An MPAN the table already holds is left as it is: what the DIP learnt
// from registration messages is newer than any load. It returns how many
// MPANs it added.
type PartiesLoader interface {
	LoadParties(ctx context.Context, ps []Parties, at time.Time) (int, error)
}

// HeldReleaser is the optional capability of a store that only one hub
// uses (embedded SQLite): when the hub starts, whatever it finds held was
// held by a crashed predecessor, so it releases every delivery claim and
// stops every requeue job left Processing.
type HeldReleaser interface {
	ReleaseHeld(ctx context.Context) error
}

// OwnerReleaser is the optional capability of a store that hubs in several
// processes share (PostgreSQL). A claim there names the process that made
// it: the owner (Config.Owner, a name the process keeps across restarts)
// and the store's incarnation, one run of the process, which the store can
// tell running or ended (docs/routing.md, Process identity). When a hub
// starts it calls ReleaseOwner with its owner: the claims of the owner's
// ended incarnations (its own, left by a crash) are released at once
// instead of waiting for their lease. Claims of a running incarnation (a
// second process started with the same name) and of other owners are left
// to their leases. It returns how many claims it released.
type OwnerReleaser interface {
	ReleaseOwner(ctx context.Context, owner string) (int, error)
}

// Store keeps the DIP's durable state: every capability below, which the
// hub uses; the CLI's commands and tools use only the small interface they
// need. Each method is one business operation and one transaction.
// internal/storetest holds the conformance suite every implementation
// passes.
type Store interface {
	Registry
	Intake
	Outbound
	Requeues
	Archive
	Close() error
}

// Registry is the participants and their webhooks.
type Registry interface {
	// PutParticipant inserts or replaces a participant.
	PutParticipant(ctx context.Context, p Participant) error
	// Participants returns every participant.
	Participants(ctx context.Context) ([]Participant, error)
	// PutWebhook inserts or replaces a webhook; DeleteWebhook removes one
	// (ErrNotFound when absent).
	PutWebhook(ctx context.Context, w Webhook) error
	DeleteWebhook(ctx context.Context, channel, recipient string) error
	Webhooks(ctx context.Context) ([]Webhook, error)
}

// Intake is what accepting messages needs.
type Intake interface {
	// Parties returns the registration state of MPANs (missing ones are
	// returned with only MPAN set).
	Parties(ctx context.Context, mpans []string) (map[string]Parties, error)
	// Accept stores messages atomically and durably before it returns: each
	// message, its delivery rows (status Pending) and its registration
	// update, visible to every read of the store from then on (the SQLite
	// store makes a log record durable and indexes it behind, its readers
	// waiting for the index; PostgreSQL uses one transaction). A message
	// whose sender already used its senderUniqueReference is not stored and
	// comes back Duplicate. Seq values increase with acceptance order.
	Accept(ctx context.Context, msgs []*Message) ([]AcceptResult, error)
	// Reject records refused messages for the journal.
	Reject(ctx context.Context, r []Rejection) error
}

// Outbound is the deliveries and the recipients' health.
type Outbound interface {
	// ClaimDue leases due deliveries (Pending or Retrying, next attempt due,
	// not claimed, on a target's channels, recipient not paused) and returns
	// them with their bodies, oldest first, at most q.Limit. Per-MPAN order:
	// of one recipient's undelivered deliveries on one channel for one MPAN,
	// it claims the first and, while each is due and not claimed, up to
	// q.Run-1 that follow it, in seq order (a run); none if the first is not
	// claimable. So no delivery is claimed while an earlier undelivered one
	// for the same recipient, channel and MPAN is not claimed with it.
	ClaimDue(ctx context.Context, q ClaimQuery) ([]Delivery, error)
	// Complete records attempts: journal lines, new delivery statuses, and the
	// recipients' failure counts; a recipient reaching pauseAfter consecutive
	// failures is paused (pauseAfter 0: never).
	Complete(ctx context.Context, attempts []Attempt, pauseAfter int) error
	// Resume unpauses a recipient and makes its retrying deliveries due now.
	Resume(ctx context.Context, recipient string, now time.Time) error
	RecipientStates(ctx context.Context) ([]RecipientState, error)
	// Deliveries lists a recipient's deliveries in a status (dead letters:
	// StatusRetriesExhausted), oldest first.
	Deliveries(ctx context.Context, recipient string, status Status, limit int) ([]Delivery, error)
	// Requeue makes the recipient's deliveries of the given messages due
	// again (status Pending, attempts kept); it returns how many.
	Requeue(ctx context.Context, recipient string, seqs []int64, now time.Time) (int, error)
}

// Requeues is the asynchronous requeue jobs.
type Requeues interface {
	// StartRequeue records job as Processing, unless the recipient already
	// has a job Processing on its channel that is not abandoned as of
	// job.Started (RequeueJob.Effective): then it returns that job and
	// ErrRequeueRunning. An abandoned job it finds is ended as Effective
	// says.
	StartRequeue(ctx context.Context, job RequeueJob) (RequeueJob, error)
	// UpdateRequeue records a job's progress or end (ErrNotFound when the
	// job is unknown).
	UpdateRequeue(ctx context.Context, job RequeueJob) error
	// RequeueJobs returns the recipient's jobs on a channel, oldest first;
	// only the one with id when id is not empty.
	RequeueJobs(ctx context.Context, recipient, channel, id string) ([]RequeueJob, error)
}

// Archive is the messages as kept: journals, replays and their purge.
type Archive interface {
	// Journal returns the journal of a sender's message by its
	// senderUniqueReference (ErrNotFound when none).
	Journal(ctx context.Context, sender, senderUniqueReference string) (JournalRecord, error)
	// Replay returns the recipient's messages on a channel in Seq order after
	// q.AfterSeq, at most q.Limit, and whether more follow.
	Replay(ctx context.Context, q ReplayQuery) ([]Message, bool, error)
	// Purge deletes messages accepted before cutoff whose deliveries are all
	// final, with their deliveries and journal lines, and the rejections and
	// ended requeue jobs from before cutoff; it returns how many messages.
	Purge(ctx context.Context, cutoff time.Time) (int, error)
}
