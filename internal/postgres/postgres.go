package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/klauspost/compress/s2"
	"github.com/mhhs/mhhs/internal/dip"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Advisory lock classes: the first key of pg_advisory_xact_lock(int, int).
const (
	lockMigrate int32 = 0x6d686873 // "mhhs": a schema's migrations; second key: the schema
	lockMPAN    int32 = 0x6d686874 // an MPAN's registration parties; second key: the MPAN
	lockAccept  int32 = 0x6d686875 // accepting messages, so seq follows commit order; second key: the schema
)

// DB is the PostgreSQL store. It implements dip.Store and isd.Store.
type DB struct {
	pool *pgxpool.Pool

	claimMu sync.Mutex   // one claim at a time, on inc's connection
	inc     *incarnation // this run's identity in claims (identity.go); nil until the first claim
}

var _ dip.Store = (*DB)(nil)

// Open connects to the database at url (postgres://user@host:port/db) and
// applies migrations. Runtime parameters in the URL's query apply to every
// connection: ?search_path=mhhs keeps the tables in schema mhhs, which must
// exist.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := &DB{pool: pool}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	return db, nil
}

// Close ends the store's incarnation (identity.go) and closes the
// connection pool.
func (db *DB) Close() error {
	db.closeIncarnation()
	db.pool.Close()
	return nil
}

// migrate applies the embedded migrations not yet recorded in
// schema_migrations, in one transaction holding an advisory lock on the
// schema: of several processes starting at once, the first applies them and
// the others wait and find them applied.
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	slices.Sort(names)
	return db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(COALESCE(current_schema(), '')))`, lockMigrate); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied BIGINT NOT NULL)`); err != nil {
			return err
		}
		for _, name := range names {
			base := strings.TrimPrefix(name, "migrations/")
			v, err := strconv.Atoi(base[:4])
			if err != nil {
				return fmt.Errorf("migration %s: name must start with a 4-digit number", name)
			}
			var applied bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, v).Scan(&applied); err != nil {
				return err
			}
			if applied {
				continue
			}
			src, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(src)); err != nil { // no arguments: simple protocol, several statements
				return fmt.Errorf("%s: %w", name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)`, v, time.Now().UnixMicro()); err != nil {
				return err
			}
		}
		return nil
	})
}

// tx runs fn in a transaction.
func (db *DB) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, fn)
}

// PutParticipant inserts or replaces a participant.
func (db *DB) PutParticipant(ctx context.Context, p dip.Participant) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO participants (dip_id, name, roles, mpids, cert_fingerprint, cert_pem, api_key_hash, disabled, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (dip_id) DO UPDATE SET name = excluded.name, roles = excluded.roles, mpids = excluded.mpids,
		cert_fingerprint = excluded.cert_fingerprint, cert_pem = excluded.cert_pem, api_key_hash = excluded.api_key_hash, disabled = excluded.disabled`,
		p.DIPID, p.Name, strings.Join(p.Roles, " "), strings.Join(p.MPIDs, " "), p.CertFingerprint, p.CertPEM, p.APIKeyHash, p.Disabled, dip.Micros(p.Created))
	return err
}

// Participants returns every participant, by DIP id.
func (db *DB) Participants(ctx context.Context) ([]dip.Participant, error) {
	rows, err := db.pool.Query(ctx, `SELECT dip_id, name, roles, mpids, cert_fingerprint, cert_pem, api_key_hash, disabled, created FROM participants ORDER BY dip_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dip.Participant
	for rows.Next() {
		var p dip.Participant
		var roles, mpids string
		var created int64
		if err := rows.Scan(&p.DIPID, &p.Name, &roles, &mpids, &p.CertFingerprint, &p.CertPEM, &p.APIKeyHash, &p.Disabled, &created); err != nil {
			return nil, err
		}
		p.Roles, p.MPIDs, p.Created = strings.Fields(roles), strings.Fields(mpids), dip.FromMicros(created)
		out = append(out, p)
	}
	return out, rows.Err()
}

// PutWebhook inserts or replaces a webhook.
func (db *DB) PutWebhook(ctx context.Context, w dip.Webhook) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO webhooks (channel, recipient, callback_url, max_message_count, max_payload_size) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (channel, recipient) DO UPDATE SET callback_url = excluded.callback_url, max_message_count = excluded.max_message_count, max_payload_size = excluded.max_payload_size`,
		w.Channel, w.Recipient, w.CallbackURL, w.MaxMessageCount, w.MaxPayloadSize)
	return err
}

// DeleteWebhook removes a webhook.
func (db *DB) DeleteWebhook(ctx context.Context, channel, recipient string) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM webhooks WHERE channel = $1 AND recipient = $2`, channel, recipient)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return dip.ErrNotFound
	}
	return nil
}

// Webhooks returns every webhook.
func (db *DB) Webhooks(ctx context.Context) ([]dip.Webhook, error) {
	rows, err := db.pool.Query(ctx, `SELECT channel, recipient, callback_url, max_message_count, max_payload_size FROM webhooks ORDER BY channel, recipient`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dip.Webhook
	for rows.Next() {
		var w dip.Webhook
		if err := rows.Scan(&w.Channel, &w.Recipient, &w.CallbackURL, &w.MaxMessageCount, &w.MaxPayloadSize); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// Parties returns the registration state of MPANs.
func (db *DB) Parties(ctx context.Context, mpans []string) (map[string]dip.Parties, error) {
	out := make(map[string]dip.Parties, len(mpans))
	for _, m := range mpans {
		out[m] = dip.Parties{MPAN: m}
	}
	if len(mpans) == 0 {
		return out, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT mpan, supplier, data_service, metering_service, mdr, pending FROM parties WHERE mpan = ANY($1)`, mpans)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanParties(rows)
		if err != nil {
			return nil, err
		}
		out[p.MPAN] = p
	}
	return out, rows.Err()
}

// limit is a LIMIT argument: NULL (no limit) for a negative n, as SQLite
// reads LIMIT -1.
func limit(n int) any {
	if n < 0 {
		return nil
	}
	return n
}

// insertMessages inserts a group of messages and their Pending deliveries
// in one statement, from arrays (one element per message; the deliveries'
// arrays one element per recipient, keyed by the message's transaction
// id). Rows go in in the group's order, so seq follows it. A message whose
// sender already used its senderUniqueReference, in an earlier transaction
// or earlier in the group, is skipped (ON CONFLICT DO NOTHING); the
// statement returns the seq and transaction id of each message it stored. One statement per
// group instead of one per message: with a statement per message the
// server spent most of a commit on per-statement work (BENCHMARKS.md).
const insertMessages = `WITH m AS (
	INSERT INTO messages (transaction_id, channel, event_code, sender, sender_role, sur, correlation_id, mpan, accepted_at, mpan_updated, recipients, body, body_codec)
	SELECT t.transaction_id, t.channel, t.event_code, t.sender, t.sender_role, t.sur, t.correlation_id, t.mpan, t.accepted_at, FALSE, t.recipients, t.body, $16::smallint
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[], $11::bytea[])
		WITH ORDINALITY AS t (transaction_id, channel, event_code, sender, sender_role, sur, correlation_id, mpan, accepted_at, recipients, body, i)
	ORDER BY t.i
	ON CONFLICT (sender, sur) DO NOTHING
	RETURNING seq, transaction_id, channel, mpan, accepted_at
), d AS (
	INSERT INTO deliveries (recipient, seq, role, route, channel, mpan, status, next_attempt)
	SELECT r.dip_id, m.seq, r.role, r.route, m.channel, m.mpan, 'Pending', m.accepted_at
	FROM unnest($12::text[], $13::text[], $14::text[], $15::text[]) AS r (transaction_id, dip_id, role, route)
	JOIN m ON m.transaction_id = r.transaction_id
)
SELECT seq, transaction_id FROM m`

// How a message's body is stored (messages.body_codec, migration 0004).
const (
	codecPlain int16 = 0 // as received: rows written before migration 0004
	codecS2    int16 = 1 // S2 block format, what Accept writes
)

// storedBody is a body as a row holds it.
type storedBody struct {
	b     []byte
	codec int16
}

func (s storedBody) decode() ([]byte, error) {
	switch s.codec {
	case codecPlain:
		return s.b, nil
	case codecS2:
		b, err := s2.Decode(nil, s.b)
		if err != nil {
			return nil, fmt.Errorf("postgres: stored body: %w", err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("postgres: stored body in unknown codec %d", s.codec)
}

const upsertParties = `INSERT INTO parties (mpan, supplier, data_service, metering_service, mdr, pending, updated) VALUES ($1, $2, $3, $4, $5, $6, $7)
	ON CONFLICT (mpan) DO UPDATE SET supplier = excluded.supplier, data_service = excluded.data_service,
	metering_service = excluded.metering_service, mdr = excluded.mdr, pending = excluded.pending, updated = excluded.updated`

// scanParties reads a row of mpan, supplier, data_service,
// metering_service, mdr, pending.
func scanParties(row pgx.Row) (dip.Parties, error) {
	var p dip.Parties
	var pending string
	err := row.Scan(&p.MPAN, &p.Supplier, &p.DataService, &p.MeteringService, &p.MDR, &pending)
	p.Pending = dip.DecodePending(pending)
	return p, err
}

// Accept stores messages, their deliveries and registration updates in one
// transaction: one statement stores every message with its deliveries
// (insertMessages), then the registration updates of the messages that
// were not duplicates.
//
// It first takes a transaction-level advisory lock, so that accepting
// transactions, in every process, take their seq values and commit one at a
// time: seq is then in commit order, and a reader paging by "seq greater
// than the last seen" (replay, requeue) can never skip a row that commits
// later with a smaller seq. Group commit still batches many messages into
// each transaction.
//
// The lock is held until the commit, so what the transaction waits for
// while holding it every other acceptor waits for too. A group commit
// without registration updates (nearly all of them) is therefore sent as
// one pipeline, lock, insert and commit in one round trip (an implicit
// transaction), and holds the lock only while the server works: with
// BEGIN, the lock, the insert and COMMIT each a round trip, the client's
// wake-ups, on a busy machine, were part of every commit's hold.
func (db *DB) Accept(ctx context.Context, msgs []*dip.Message) ([]dip.AcceptResult, error) {
	if !slices.ContainsFunc(msgs, updatesParties) {
		out, _, err := insertAccepted(ctx, db.pool, msgs)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	var out []dip.AcceptResult
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var kept []*dip.Message
		var err error
		if out, kept, err = insertAccepted(ctx, tx, msgs); err != nil {
			return err
		}
		updated, changed, err := updateParties(ctx, tx, kept)
		if err != nil || len(changed) == 0 {
			return err
		}
		b := &pgx.Batch{}
		for _, c := range changed {
			b.Queue(upsertParties, c.p.MPAN, c.p.Supplier, c.p.DataService, c.p.MeteringService, c.p.MDR, dip.EncodePending(c.p.Pending), dip.Micros(c.at))
		}
		var seqs []int64
		for i, m := range kept {
			if updated[i] {
				seqs = append(seqs, m.Seq)
			}
		}
		b.Queue(`UPDATE messages SET mpan_updated = TRUE WHERE seq = ANY($1)`, seqs)
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// updatesParties reports whether m changes its MPAN's registration state.
func updatesParties(m *dip.Message) bool { return m.UpdateParties != nil && m.MPAN != "" }

// insertAccepted sends the accept lock and insertMessages to the server in
// one batch on q, and reads the results of msgs and the messages stored
// (the rest are duplicates). On the pool the batch is an implicit
// transaction, committed when the batch ends; in a transaction it is part
// of it.
func insertAccepted(ctx context.Context, q interface {
	SendBatch(context.Context, *pgx.Batch) pgx.BatchResults
}, msgs []*dip.Message) ([]dip.AcceptResult, []*dip.Message, error) {
	b := &pgx.Batch{}
	b.Queue(lockAcceptSQL, lockAccept)
	b.Queue(insertMessages, insertArgs(msgs)...)
	br := q.SendBatch(ctx, b)
	var out []dip.AcceptResult
	var kept []*dip.Message
	_, err := br.Exec()
	if err == nil {
		var rows pgx.Rows
		if rows, err = br.Query(); err == nil {
			out, kept, err = storedRows(rows, msgs)
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return out, kept, err
}

const lockAcceptSQL = `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`

// insertArgs returns insertMessages' arguments for msgs: a column array
// each, and one element per delivery in the delivery arrays.
func insertArgs(msgs []*dip.Message) []any {
	n := len(msgs)
	txIDs, channels, events, senders := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	roles, surs, correlations, recipients := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	mpans, accepted, bodies := make([]*string, n), make([]int64, n), make([][]byte, n)
	var dTx, dIDs, dRoles, dRoutes []string // one per delivery
	for i, m := range msgs {
		txIDs[i], channels[i], events[i], senders[i] = m.TransactionID, m.Channel, m.EventCode, m.SenderDIPID
		roles[i], surs[i], correlations[i], recipients[i] = m.SenderRole, m.SenderUniqueReference, m.CorrelationID, dip.EncodeRecipients(m.Recipients)
		if m.MPAN != "" {
			mpans[i] = &m.MPAN
		}
		accepted[i], bodies[i] = dip.Micros(m.AcceptedAt), s2.Encode(nil, m.Body)
		for _, r := range m.Recipients {
			dTx, dIDs, dRoles, dRoutes = append(dTx, m.TransactionID), append(dIDs, r.DIPID), append(dRoles, r.Role), append(dRoutes, string(r.Route))
		}
	}
	return []any{txIDs, channels, events, senders, roles, surs, correlations, mpans, accepted, recipients, bodies,
		dTx, dIDs, dRoles, dRoutes, codecS2}
}

// storedRows reads the rows insertMessages returned: it sets the seq of
// each stored message and returns the results of msgs and the stored ones
// (the rest are duplicates).
func storedRows(rows pgx.Rows, msgs []*dip.Message) ([]dip.AcceptResult, []*dip.Message, error) {
	stored := make(map[string]int64, len(msgs))
	for rows.Next() {
		var seq int64
		var id string
		if err := rows.Scan(&seq, &id); err != nil {
			rows.Close()
			return nil, nil, err
		}
		stored[id] = seq
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	// Transaction ids are unique, so each stored row names its message.
	out := make([]dip.AcceptResult, len(msgs))
	var kept []*dip.Message
	for i, m := range msgs {
		seq, ok := stored[m.TransactionID]
		if !ok {
			out[i] = dip.AcceptResult{Duplicate: true}
			continue
		}
		m.Seq = seq
		out[i] = dip.AcceptResult{Seq: seq}
		kept = append(kept, m)
	}
	return out, kept, nil
}

// partiesUpdate is an MPAN's registration state after an Accept call's
// updates, and when the last one was accepted.
type partiesUpdate struct {
	p  dip.Parties
	at time.Time
}

// updateParties runs the messages' UpdateParties in order on the current
// registration state of their MPANs, read under lock, and returns which
// messages changed it and the states to store, by MPAN. Accept passes only
// the messages that were stored (not duplicates).
func updateParties(ctx context.Context, tx pgx.Tx, msgs []*dip.Message) ([]bool, []partiesUpdate, error) {
	updated := make([]bool, len(msgs))
	var mpans []string
	for _, m := range msgs {
		if updatesParties(m) {
			mpans = append(mpans, m.MPAN)
		}
	}
	if len(mpans) == 0 {
		return updated, nil, nil
	}
	// FOR UPDATE locks only existing rows: an advisory lock per MPAN, taken
	// in key order, also serializes two acceptors of a new MPAN.
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1, h) FROM (SELECT DISTINCT hashtext(m) AS h FROM unnest($2::text[]) AS m ORDER BY h) AS l`, lockMPAN, mpans)
	b.Queue(`SELECT mpan, supplier, data_service, metering_service, mdr, pending FROM parties WHERE mpan = ANY($1) ORDER BY mpan FOR UPDATE`, mpans)
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, nil, err
	}
	rows, err := br.Query()
	if err != nil {
		return nil, nil, err
	}
	cur := map[string]dip.Parties{}
	for rows.Next() {
		p, err := scanParties(rows)
		if err != nil {
			rows.Close()
			return nil, nil, err
		}
		cur[p.MPAN] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if err := br.Close(); err != nil {
		return nil, nil, err
	}
	changed := map[string]partiesUpdate{}
	for i, m := range msgs {
		if !updatesParties(m) {
			continue
		}
		p, ok := cur[m.MPAN]
		if !ok {
			p = dip.Parties{MPAN: m.MPAN}
		}
		if !m.UpdateParties(&p) {
			continue
		}
		cur[m.MPAN], changed[m.MPAN], updated[i] = p, partiesUpdate{p: p, at: m.AcceptedAt}, true
	}
	out := make([]partiesUpdate, 0, len(changed))
	for _, mpan := range slices.Sorted(maps.Keys(changed)) {
		out = append(out, changed[mpan])
	}
	return updated, out, nil
}

// Reject records refused messages.
func (db *DB) Reject(ctx context.Context, rs []dip.Rejection) error {
	if len(rs) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, r := range rs {
			b.Queue(`INSERT INTO rejections (sender, sur, channel, event_code, mpan, at, code, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				r.SenderDIPID, r.SenderUniqueReference, r.Channel, r.EventCode, r.MPAN, dip.Micros(r.At), r.Code, r.Reason)
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

const deliveryCols = `d.seq, d.recipient, d.role, d.route, d.channel, COALESCE(d.mpan, ''), d.status, d.attempts, d.next_attempt, d.last_error, m.event_code, m.transaction_id, m.accepted_at`

func scanDelivery(rows pgx.Rows, withBody bool) (dip.Delivery, error) {
	var d dip.Delivery
	var next, accepted int64
	var route, status string
	var body storedBody
	dest := []any{&d.Seq, &d.Recipient, &d.Role, &route, &d.Channel, &d.MPAN, &status, &d.Attempts, &next, &d.LastError, &d.EventCode, &d.TransactionID, &accepted}
	if withBody {
		dest = append(dest, &body.b, &body.codec)
	}
	err := rows.Scan(dest...)
	if err == nil && withBody {
		d.Body, err = body.decode()
	}
	d.Route, d.Status, d.NextAttempt, d.AcceptedAt = dip.Route(route), dip.Status(status), dip.FromMicros(next), dip.FromMicros(accepted)
	return d, err
}

// claimDue selects due deliveries and leases them in one statement.
//
// h is the heads: due deliveries with no earlier undelivered one for the
// same recipient, channel and MPAN. SKIP LOCKED passes over rows another
// process is claiming; a row it claimed meanwhile fails the lease predicate
// when rechecked on locking. The head test still sees an earlier delivery
// for the same recipient and MPAN while another process holds it, which
// keeps per-MPAN order across processes. It is a scalar subquery (the
// first undelivered seq of the recipient, channel and MPAN), not NOT
// EXISTS: PostgreSQL cannot turn it into a join, so it is always one probe
// of deliveries_order a candidate. As an anti join it was planned from
// the statistics of a young table (a fresh database, before autovacuum's
// first analyze) as a nested loop over every undelivered row: 1.4-4.5 s a
// claim with 2,000 undelivered (auto_explain, the scale-out benchmark).
//
// r is each head's run ($7 = ClaimQuery.Run-1 at most): the undelivered
// deliveries after it on its recipient, channel and MPAN, in seq order,
// while each is due and not claimed; only the first $3 of them in seq
// order can be claimed, so only they are kept. No other claim can take
// them (their head is earlier and locked here), but a requeue or resume
// may hold one for a moment: rl locks them, skipping those, and a run ends
// before the first it could not lock (where a member's place in the run,
// pos, runs ahead of its place among those locked), so it stays a run. c
// keeps the first $3 of heads and runs together in seq order: a run cut
// there is still a run. (CTEs have no statistics: a join of two of them
// is planned as a nested loop, so rl carries what c needs instead.)
const claimDue = `WITH h AS (
	SELECT d.recipient, d.seq, d.channel, d.mpan FROM deliveries d
	WHERE d.status IN ('Pending', 'Retrying') AND d.next_attempt <= $1 AND (d.claimed_until IS NULL OR d.claimed_until < $1)
	AND EXISTS (SELECT 1 FROM unnest($2::text[], $6::text[]) AS t (recipient, channel) WHERE t.recipient = d.recipient AND (t.channel = '' OR t.channel = d.channel))
	AND d.recipient NOT IN (SELECT recipient FROM recipients WHERE paused)
	AND (d.mpan IS NULL OR d.seq = (SELECT min(e.seq) FROM deliveries e
		WHERE e.recipient = d.recipient AND e.channel = d.channel AND e.mpan = d.mpan AND e.status IN ('Pending', 'Retrying')))
	ORDER BY d.seq LIMIT $3
	FOR UPDATE OF d SKIP LOCKED
), r AS (
	SELECT e.recipient, e.seq, h.seq AS head, e.pos FROM h CROSS JOIN LATERAL (
		SELECT e.recipient, e.seq, row_number() OVER w AS pos,
			bool_and(e.next_attempt <= $1 AND (e.claimed_until IS NULL OR e.claimed_until < $1)) OVER w AS free
		FROM (SELECT e.recipient, e.seq, e.next_attempt, e.claimed_until FROM deliveries e
			WHERE e.recipient = h.recipient AND e.channel = h.channel AND e.mpan = h.mpan AND e.seq > h.seq AND e.status IN ('Pending', 'Retrying')
			ORDER BY e.seq LIMIT $7) e
		WINDOW w AS (ORDER BY e.seq)
	) e WHERE e.free
	ORDER BY e.seq LIMIT $3
), rl AS (
	SELECT d.recipient, d.seq, r.head, r.pos FROM deliveries d JOIN r ON d.recipient = r.recipient AND d.seq = r.seq
	FOR UPDATE OF d SKIP LOCKED
), c AS (
	SELECT recipient, seq FROM h
	UNION ALL
	SELECT recipient, seq FROM (
		SELECT recipient, seq, pos, row_number() OVER (PARTITION BY recipient, head ORDER BY seq) AS locked FROM rl
	) x WHERE x.pos = x.locked
	ORDER BY seq LIMIT $3
), u AS (
	UPDATE deliveries d SET claimed_until = $4, claimed_by = $5 FROM c
	WHERE d.recipient = c.recipient AND d.seq = c.seq
	RETURNING d.*
)
SELECT ` + deliveryCols + `, m.body, m.body_codec FROM u d JOIN messages m ON m.seq = d.seq ORDER BY d.seq`

// ClaimDue leases due deliveries, as owner "q.Owner#INCARNATION"
// (identity.go).
func (db *DB) ClaimDue(ctx context.Context, q dip.ClaimQuery) ([]dip.Delivery, error) {
	if len(q.Targets) == 0 || q.Limit <= 0 {
		return nil, nil
	}
	// Targets as (recipient, channel) pairs; channel "" stands for every channel.
	var recipients, channels []string
	for _, t := range q.Targets {
		if t.Channels == nil {
			recipients, channels = append(recipients, t.Recipient), append(channels, "")
		}
		for _, c := range t.Channels {
			recipients, channels = append(recipients, t.Recipient), append(channels, c)
		}
	}
	now := dip.Micros(q.Now)
	// The claim is made on the incarnation's connection, which holds its
	// lock: a claim is never made by an incarnation that has ended.
	db.claimMu.Lock()
	defer db.claimMu.Unlock()
	defer db.endIncarnationLocked()
	inc, err := db.incarnationLocked(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := inc.conn.Query(ctx, claimDue, now, recipients, q.Limit, dip.Micros(q.Now.Add(q.Lease)), inc.owner(q.Owner), channels, max(1, q.Run)-1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dip.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows, true)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Complete records attempts: the attempts, delivery updates and recipients'
// failure counts go to the server as one batch.
func (db *DB) Complete(ctx context.Context, attempts []dip.Attempt, pauseAfter int) error {
	if len(attempts) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		failures := map[string]int{} // -1: reset
		for _, a := range attempts {
			status := string(a.Status)
			b.Queue(`INSERT INTO attempts (seq, recipient, at, duration_us, status_code, status, error) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				a.Seq, a.Recipient, dip.Micros(a.At), a.Duration.Microseconds(), a.StatusCode, status, a.Error)
			next := dip.Micros(a.Next)
			if next == 0 {
				next = dip.Micros(a.At)
			}
			b.Queue(`UPDATE deliveries SET status = $1, attempts = attempts + 1, next_attempt = $2, last_error = $3, claimed_until = NULL, claimed_by = NULL WHERE recipient = $4 AND seq = $5`,
				status, next, a.Error, a.Recipient, a.Seq)
			switch {
			case a.Failure && failures[a.Recipient] >= 0:
				failures[a.Recipient]++
			case !a.Failure:
				failures[a.Recipient] = -1
			}
		}
		pausedAt := dip.Micros(attempts[0].At)
		for _, r := range slices.Sorted(maps.Keys(failures)) { // one lock order for concurrent completers
			n := failures[r]
			if n < 0 {
				// A success resets the failures, writing (and locking) the
				// recipient's row only when it has some or is missing:
				// otherwise every completion, in every process, would
				// queue behind the last one's commit for its recipient.
				b.Queue(`UPDATE recipients SET failures = 0 WHERE recipient = $1 AND failures <> 0`, r)
				b.Queue(`INSERT INTO recipients (recipient, failures) SELECT $1, 0
					WHERE NOT EXISTS (SELECT 1 FROM recipients WHERE recipient = $1) ON CONFLICT (recipient) DO NOTHING`, r)
				continue
			}
			// Add n failures; pause the recipient when the total reaches pauseAfter (0: never).
			b.Queue(`INSERT INTO recipients AS r (recipient, failures, paused, paused_at)
				VALUES ($1, $2::int, $3::int > 0 AND $2::int >= $3::int, CASE WHEN $3::int > 0 AND $2::int >= $3::int THEN $4::bigint ELSE 0 END)
				ON CONFLICT (recipient) DO UPDATE SET failures = r.failures + excluded.failures,
				paused = r.paused OR ($3::int > 0 AND r.failures + excluded.failures >= $3::int),
				paused_at = CASE WHEN NOT r.paused AND $3::int > 0 AND r.failures + excluded.failures >= $3::int THEN $4::bigint ELSE r.paused_at END`,
				r, n, pauseAfter, pausedAt)
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

// Resume unpauses a recipient.
func (db *DB) Resume(ctx context.Context, recipient string, now time.Time) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE recipients SET paused = false, failures = 0 WHERE recipient = $1`, recipient)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return dip.ErrNotFound
		}
		_, err = tx.Exec(ctx, `UPDATE deliveries SET next_attempt = $1 WHERE recipient = $2 AND status = 'Retrying'`, dip.Micros(now), recipient)
		return err
	})
}

// RecipientStates returns every recipient's health.
func (db *DB) RecipientStates(ctx context.Context) ([]dip.RecipientState, error) {
	rows, err := db.pool.Query(ctx, `SELECT recipient, paused, paused_at, failures FROM recipients ORDER BY recipient`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dip.RecipientState
	for rows.Next() {
		var s dip.RecipientState
		var at int64
		if err := rows.Scan(&s.Recipient, &s.Paused, &at, &s.ConsecutiveFailures); err != nil {
			return nil, err
		}
		s.PausedAt = dip.FromMicros(at)
		out = append(out, s)
	}
	return out, rows.Err()
}

// Deliveries lists a recipient's deliveries in a status.
func (db *DB) Deliveries(ctx context.Context, recipient string, status dip.Status, n int) ([]dip.Delivery, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+deliveryCols+` FROM deliveries d JOIN messages m ON m.seq = d.seq
		WHERE d.recipient = $1 AND d.status = $2 ORDER BY d.seq LIMIT $3`, recipient, string(status), limit(n))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dip.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows, false)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Requeue makes deliveries due again.
func (db *DB) Requeue(ctx context.Context, recipient string, seqs []int64, now time.Time) (int, error) {
	if len(seqs) == 0 {
		return 0, nil
	}
	tag, err := db.pool.Exec(ctx, `UPDATE deliveries SET status = 'Pending', next_attempt = $1, claimed_until = NULL
		WHERE recipient = $2 AND seq = ANY($3)`, dip.Micros(now), recipient, seqs)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

const messageCols = `m.seq, m.transaction_id, m.channel, m.event_code, m.sender, m.sender_role, m.sur, m.correlation_id, COALESCE(m.mpan, ''), m.accepted_at, m.mpan_updated, m.recipients`

func scanMessage(row pgx.Row, withBody bool) (dip.Message, bool, error) {
	var m dip.Message
	var accepted int64
	var updated bool
	var recips string
	var body storedBody
	dest := []any{&m.Seq, &m.TransactionID, &m.Channel, &m.EventCode, &m.SenderDIPID, &m.SenderRole, &m.SenderUniqueReference, &m.CorrelationID, &m.MPAN, &accepted, &updated, &recips}
	if withBody {
		dest = append(dest, &body.b, &body.codec)
	}
	err := row.Scan(dest...)
	if err == nil && withBody {
		m.Body, err = body.decode()
	}
	m.AcceptedAt, m.Recipients = dip.FromMicros(accepted), dip.DecodeRecipients(recips)
	return m, updated, err
}

// Journal returns the journal of a sender's message.
func (db *DB) Journal(ctx context.Context, sender, sur string) (dip.JournalRecord, error) {
	m, updated, err := scanMessage(db.pool.QueryRow(ctx, `SELECT `+messageCols+` FROM messages m WHERE sender = $1 AND sur = $2`, sender, sur), false)
	if errors.Is(err, pgx.ErrNoRows) {
		return db.rejectedJournal(ctx, sender, sur)
	}
	if err != nil {
		return dip.JournalRecord{}, err
	}
	rec := dip.JournalRecord{Message: m, Entries: dip.AcceptedJournal(&m, updated)}
	rows, err := db.pool.Query(ctx, `SELECT recipient, at, duration_us, status_code, status, error FROM attempts WHERE seq = $1 ORDER BY at, id`, m.Seq)
	if err != nil {
		return dip.JournalRecord{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var a dip.Attempt
		var at, dur int64
		var status string
		if err := rows.Scan(&a.Recipient, &at, &dur, &a.StatusCode, &status, &a.Error); err != nil {
			return dip.JournalRecord{}, err
		}
		a.At, a.Duration, a.Status = dip.FromMicros(at), time.Duration(dur)*time.Microsecond, dip.Status(status)
		rec.Entries = append(rec.Entries, dip.AttemptJournal(a))
	}
	return rec, rows.Err()
}

// rejectedJournal is the journal of a message never accepted.
func (db *DB) rejectedJournal(ctx context.Context, sender, sur string) (dip.JournalRecord, error) {
	rows, err := db.pool.Query(ctx, `SELECT channel, event_code, mpan, at, code, reason FROM rejections WHERE sender = $1 AND sur = $2 ORDER BY at`, sender, sur)
	if err != nil {
		return dip.JournalRecord{}, err
	}
	defer rows.Close()
	rec := dip.JournalRecord{Rejected: true, Message: dip.Message{SenderDIPID: sender, SenderUniqueReference: sur}}
	for rows.Next() {
		var r dip.Rejection
		var at int64
		if err := rows.Scan(&r.Channel, &r.EventCode, &r.MPAN, &at, &r.Code, &r.Reason); err != nil {
			return dip.JournalRecord{}, err
		}
		r.At = dip.FromMicros(at)
		rec.Message.Channel, rec.Message.EventCode, rec.Message.MPAN = r.Channel, r.EventCode, r.MPAN
		rec.Entries = append(rec.Entries, dip.RejectedJournal(r))
	}
	if err := rows.Err(); err != nil {
		return dip.JournalRecord{}, err
	}
	if len(rec.Entries) == 0 {
		return dip.JournalRecord{}, dip.ErrNotFound
	}
	return rec, nil
}

// Replay returns a recipient's messages on a channel (every channel when
// q.Channel is empty).
func (db *DB) Replay(ctx context.Context, q dip.ReplayQuery) ([]dip.Message, bool, error) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := []string{"d.recipient = " + arg(q.Recipient), "m.seq > " + arg(q.AfterSeq)}
	if q.Channel != "" {
		where = append(where, "m.channel = "+arg(q.Channel))
	}
	if !q.From.IsZero() {
		where = append(where, "m.accepted_at >= "+arg(dip.Micros(q.From)))
	}
	if !q.To.IsZero() {
		where = append(where, "m.accepted_at <= "+arg(dip.Micros(q.To)))
	}
	if q.EventCode != "" {
		where = append(where, "m.event_code = "+arg(q.EventCode))
	}
	if q.MPAN != "" {
		where = append(where, "m.mpan = "+arg(q.MPAN))
	}
	if len(q.TransactionIDs) > 0 {
		where = append(where, "m.transaction_id = ANY("+arg(q.TransactionIDs)+")")
	}
	rows, err := db.pool.Query(ctx, `SELECT `+messageCols+`, m.body, m.body_codec FROM messages m JOIN deliveries d ON d.seq = m.seq
		WHERE `+strings.Join(where, " AND ")+` ORDER BY m.seq LIMIT `+arg(limit(q.Limit+1)), args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []dip.Message
	for rows.Next() {
		m, _, err := scanMessage(rows, true)
		if err != nil {
			return nil, false, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	more := q.Limit >= 0 && len(out) > q.Limit
	if more {
		out = out[:q.Limit]
	}
	return out, more, nil
}

// Purge deletes old messages whose deliveries are all final.
func (db *DB) Purge(ctx context.Context, cutoff time.Time) (int, error) {
	var n int64
	err := db.tx(ctx, func(tx pgx.Tx) error {
		// First the final deliveries of old, fully final messages. Under READ
		// COMMITTED the status test is re-checked on each row as it is
		// deleted, so a delivery requeued meanwhile survives (and keeps its
		// message, below).
		if _, err := tx.Exec(ctx, `DELETE FROM deliveries d USING messages m
			WHERE d.seq = m.seq AND m.accepted_at < $1 AND d.status IN ('Delivered', 'RejectedByRecipient', 'RetriesExhausted')
			AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.seq = d.seq AND e.status NOT IN ('Delivered', 'RejectedByRecipient', 'RetriesExhausted'))`, dip.Micros(cutoff)); err != nil {
			return err
		}
		// Then old messages left without deliveries, with their attempts.
		err := tx.QueryRow(ctx, `WITH p AS (
			DELETE FROM messages m WHERE accepted_at < $1 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.seq = m.seq) RETURNING seq
		), a AS (
			DELETE FROM attempts WHERE seq IN (SELECT seq FROM p)
		)
		SELECT count(*) FROM p`, dip.Micros(cutoff)).Scan(&n)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rejections WHERE at < $1`, dip.Micros(cutoff)); err != nil {
			return err
		}
		// A job still Processing with no progress since cutoff (days) was
		// abandoned long ago.
		_, err = tx.Exec(ctx, `DELETE FROM requeues WHERE updated < $1`, dip.Micros(cutoff))
		return err
	})
	return int(n), err
}

// LoadParties adds the parties of MPANs the table does not hold
// (dip.PartiesLoader), a transaction per 10,000.
func (db *DB) LoadParties(ctx context.Context, ps []dip.Parties, at time.Time) (int, error) {
	added := 0
	for len(ps) > 0 {
		n, k := min(len(ps), 10000), 0
		err := db.tx(ctx, func(tx pgx.Tx) error {
			b := &pgx.Batch{}
			for _, p := range ps[:n] {
				b.Queue(`INSERT INTO parties (mpan, supplier, data_service, metering_service, mdr, pending, updated)
					VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (mpan) DO NOTHING`,
					p.MPAN, p.Supplier, p.DataService, p.MeteringService, p.MDR, dip.EncodePending(p.Pending), dip.Micros(at))
			}
			res := tx.SendBatch(ctx, b)
			for range n {
				tag, err := res.Exec()
				if err != nil {
					res.Close()
					return err
				}
				k += int(tag.RowsAffected())
			}
			return res.Close()
		})
		if err != nil {
			return added, err
		}
		added += k
		ps = ps[n:]
	}
	return added, nil
}
