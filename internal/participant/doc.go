// Package participant is the seam between the DIP and the services behind
// it: what a service sees, whether it runs inside mhhs serve or as its own
// process against a remote DIP.
//
// A Service receives Deliveries (channel, event, the DIP's transaction id,
// the role it was routed to, the replay flag, the payload) through Handle
// and answers each with a DIP message code: accepted (MSG0000), rejected
// with a code, or retry later (MSG5001, which makes the DIP redeliver the
// whole batch). It sends through a Sender, which returns the DIP's verdict
// per message, and does its timed work (the settlement timetable,
// reminders, relaying its outbox) in Run. Inside mhhs serve the hub
// delivers to Handle with a function call and Send is a function call into
// the hub (internal/dip); in a split deployment Handle sits behind the
// verifying webhook receiver (internal/webhook) and Send is the signing
// HTTP client (internal/httpapi). The service's code is the same.
//
// Delivery is at least once. A service makes its effects happen exactly
// once with two tools of this package: an inbox (it records each
// transaction id it handled in the same store transaction as the state
// change, and a redelivery changes nothing), and an Outbox (the messages a
// state change causes are written in that same transaction with their
// sender references fixed, and Relay sends them; a resend after a crash
// carries the reference the DIP already accepted, which it refuses as a
// duplicate, MSG3001, and Verdict.Sent takes as sent).
//
// It imports the standard library, internal/market and internal/catalogue;
// never internal/dip or an adapter.
package participant
