// Package dip is the Data Integration Platform: intake of DIP message arrays
// (authentication results, L1/L2 validation through the catalogue, sender
// checks, dedupe), routing (Primary from the sender's A0, Secondary from the
// MPAN's registration state, Always per channel), durable acceptance (one
// transaction per group of messages: message, routing and one delivery per
// recipient), the delivery state machine (retries with backoff and jitter,
// RetriesExhausted, per-recipient pause), the journal, replay and requeue.
//
// It is domain code: it does no I/O itself. It declares the seams it needs:
// Store (implemented by internal/sqlite and internal/postgres) and Deliverer
// (internal/webhook for signed HTTP, or a function call for a co-located
// service). It imports the standard library, internal/market and
// internal/catalogue.
package dip
