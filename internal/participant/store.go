package participant

import "context"

// Store is the durable state of a service that keeps documents: values by
// key, the inbox of the transactions it handled and its Outbox, all changed
// together by Apply. internal/sqlite and internal/postgres implement it;
// internal/storetest holds the conformance suite both pass. A service with
// state of its own shape (the Registration Service's MPAN history) has its
// own store with the same inbox and outbox.
type Store interface {
	Outbox
	// Apply runs fn in one store transaction and commits what it did: the
	// documents it put and the messages it queued. key identifies the
	// input (a delivery's transaction id): if it was applied before,
	// Apply does not run fn and returns false; "" applies every time. An
	// error from fn discards the transaction and is returned.
	Apply(ctx context.Context, key string, fn func(Tx) error) (applied bool, err error)
	// ApplyAll is Apply for a batch, in one store transaction: it runs
	// fn(tx, i) for each keys[i] not applied before (nor earlier in the
	// batch), in order, and reports which ran. An error from fn discards
	// the whole batch.
	ApplyAll(ctx context.Context, keys []string, fn func(tx Tx, i int) error) (applied []bool, err error)
	// Get reads a document outside a transaction into v (JSON); it reports
	// false when there is none.
	Get(ctx context.Context, key string, v any) (bool, error)
	Close() error
}

// Tx is the view of a store inside Apply.
type Tx interface {
	// Get reads a document into v; false when there is none.
	Get(key string, v any) (bool, error)
	// Put writes a document (JSON of v).
	Put(key string, v any) error
	// Queue adds a message to the outbox, sent after the transaction
	// commits. Its payload is final: S1 stamped with its reference.
	Queue(channel string, payload []byte) error
}
