// Package sqlite is the embedded store of mhhs on SQLite (pure Go,
// modernc.org/sqlite): WAL journal, one writer connection and a pool of
// readers. Accepted messages are durable first in the intake log beside the
// database (bodies.go, record.go), which also holds their bodies; SQLite
// indexes the log behind it (intake.go). Every other write commits with an
// fsync (synchronous=FULL). Migrations are numbered .sql files embedded in
// the binary.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mhhs/mhhs/internal/dip"
	_ "modernc.org/sqlite"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the SQLite store. It implements dip.Store and isd.Store.
type DB struct {
	w, r    *sql.DB
	bodies  *bodyLog
	stmts   sync.Map   // SQL text -> *sql.Stmt, on w or r
	parties *keyFilter // the MPANs of the parties table (filter.go)
	in      intake     // the intake pipeline (intake.go)
	lock    *os.File   // the intake log's lock; nil when another process holds it
}

// stmt returns a prepared statement for query on pool, cached: parsing SQL
// cost more than running it in the intake profile. Statements whose text
// depends on a row count are cached per count; counts are bounded by the
// hub's commit batch.
func (db *DB) stmt(ctx context.Context, pool *sql.DB, query string) (*sql.Stmt, error) {
	key := query
	if pool == db.r {
		key = "r:" + query
	}
	if s, ok := db.stmts.Load(key); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(key, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

var _ dip.Store = (*DB)(nil)

// Open opens (creating if needed) the database at path and applies
// migrations. The first process to open a database takes its intake log
// (intake.go); another opens it beside that one, to read and administer,
// and cannot accept messages.
func Open(ctx context.Context, path string) (*DB, error) {
	return OpenOptions(ctx, path, Options{Wait: -1})
}

// OpenIntake opens the database at path as Open does, but for intake: when
// another process holds the intake log (an admin command of the CLI, for a
// moment), it waits up to wait for it, then fails.
func OpenIntake(ctx context.Context, path string, wait time.Duration) (*DB, error) {
	return OpenOptions(ctx, path, Options{Wait: wait})
}

// Options are the settings of OpenOptions.
type Options struct {
	// Wait is how long to wait for the intake log when another process
	// holds it, as OpenIntake's wait; negative opens without intake then,
	// as Open does.
	Wait time.Duration
	// LogFS holds the intake log's segments; nil means the operating
	// system's file system.
	LogFS LogFS
}

// OpenOptions opens (creating if needed) the database at path as Open and
// OpenIntake do, with opt.
func OpenOptions(ctx context.Context, path string, opt Options) (*DB, error) {
	if opt.LogFS == nil {
		opt.LogFS = osFS{}
	}
	return open(ctx, path, opt.Wait, opt.LogFS)
}

// checkpointPages is how many WAL pages a commit leaves before it copies
// them into the database (SQLite's wal_autocheckpoint; its default is
// 1,000). A checkpoint ends with an fsync of what it wrote, and the intake
// log's fdatasync waits behind it on the same disk: at 1,000 pages (4 MB) the
// log's slowest rounds took 10–17 ms and intake's p99 was 19–22 ms; at 100
// pages it was 11–12 ms, at the same throughput (BENCHMARKS.md, DIP intake,
// session 4).
const checkpointPages = 100

// open opens the database, its intake log on logFS; wait < 0: without
// intake if another process holds it.
func open(ctx context.Context, path string, wait time.Duration, logFS LogFS) (*DB, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(on)&_txlock=immediate"
	w, err := sql.Open("sqlite", dsn+fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", checkpointPages))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(on)")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	db := &DB{w: w, r: r, parties: newKeyFilter()}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	if err := db.loadPartyFilter(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	// One process takes intake at a time: the first to lock the log
	// (mhhs serve). Another (the CLI's admin commands, while serve runs)
	// reads and administers through SQLite, and cannot accept messages.
	dir := path + "-bodies"
	if err := os.MkdirAll(dir, 0o700); err != nil {
		db.Close()
		return nil, err
	}
	db.in.init()
	deadline := time.Now().Add(wait)
	for {
		if db.lock, err = lockIntake(dir); err != nil {
			db.Close()
			return nil, fmt.Errorf("sqlite: locking the intake log of %s: %w", path, err)
		}
		if db.lock != nil || wait < 0 {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			db.Close()
			return nil, fmt.Errorf("sqlite: another process holds the intake log of %s (is mhhs serve running on it?)", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if db.lock == nil {
		db.bodies = &bodyLog{fs: logFS, dir: dir, readers: map[int64]segReader{}}
		return db, nil
	}
	if db.bodies, err = openBodyLog(logFS, dir); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: intake log of %s: %w", path, err)
	}
	if err := db.recoverIntake(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: recovering the intake log of %s: %w", path, err)
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	db.stopIndexer()
	var err error
	if db.bodies != nil {
		err = db.bodies.close()
	}
	if db.lock != nil {
		db.lock.Close()
	}
	db.stmts.Range(func(_, s any) bool { s.(*sql.Stmt).Close(); return true })
	return errors.Join(err, db.r.Close(), db.w.Close())
}

func (db *DB) migrate(ctx context.Context) error {
	return migrate(ctx, db.w, migrations, "migrations")
}

// migrate applies the migrations in fsys's directory dir (NNNN_name.sql)
// not yet recorded in w's schema_migrations, each in its own transaction.
func migrate(ctx context.Context, w *sql.DB, fsys fs.FS, dir string) error {
	if _, err := w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`); err != nil {
		return err
	}
	names, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, dir+"/")
		v, err := strconv.Atoi(base[:4])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a 4-digit number", name)
		}
		var n int
		if err := w.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, v).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		tx, err := w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(src)); err != nil {
			tx.Rollback()
			return fmt.Errorf("%s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`, v, time.Now().UnixMicro()); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// tx runs fn in a write transaction.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return inTx(ctx, db.w, fn)
}

// unsyncedTx runs fn in a transaction that commits with
// synchronous=NORMAL: it is not synced on its own, but by the next commit
// made with FULL (every other write) or by a checkpoint. A crash of the
// process loses none of it; a power cut may lose it, which is harmless for
// the writes that use it: the index of the intake log, which Open rebuilds
// from the log (but for registration updates: intake.go's index), and
// delivery claims, which the hub releases when it starts (ReleaseHeld).
func (db *DB) unsyncedTx(ctx context.Context, fn func(*sql.Tx) error) error {
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA synchronous = FULL`); err != nil {
			// Never hand the pool a connection that commits unsynced.
			conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}()
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
		return err
	}
	return inTx(ctx, conn, fn)
}

// inTx runs fn in a transaction begun on b (the writer pool, or a
// connection of it).
func inTx(ctx context.Context, b interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}, fn func(*sql.Tx) error) error {
	tx, err := b.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// ReleaseHeld releases what a crashed predecessor held. An embedded
// database has one hub: when that hub starts, a delivery claim it finds was
// held by a hub that is gone, so its deliveries need not wait for the lease
// to expire, and a requeue job still Processing was abandoned, so it stops
// (dip.RequeueJob.Stopped) instead of blocking the recipient's next requeue
// for dip.RequeueStaleAfter. The hub calls it at start (dip.HeldReleaser);
// PostgreSQL, shared by live hubs, has no such method.
func (db *DB) ReleaseHeld(ctx context.Context) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET claimed_until = NULL, claimed_by = NULL WHERE claimed_until IS NOT NULL`); err != nil {
			return err
		}
		held, err := scanRequeues(tx.QueryContext(ctx, `SELECT `+requeueCols+` FROM requeues WHERE status = 'Processing'`))
		if err != nil {
			return err
		}
		for _, j := range held {
			if _, err := tx.ExecContext(ctx, `UPDATE requeues SET status = ? WHERE id = ?`, string(j.Stopped()), j.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// PutParticipant inserts or replaces a participant.
func (db *DB) PutParticipant(ctx context.Context, p dip.Participant) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO participants (dip_id, name, roles, mpids, cert_fingerprint, cert_pem, api_key_hash, disabled, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (dip_id) DO UPDATE SET name = excluded.name, roles = excluded.roles, mpids = excluded.mpids,
		cert_fingerprint = excluded.cert_fingerprint, cert_pem = excluded.cert_pem, api_key_hash = excluded.api_key_hash, disabled = excluded.disabled`,
		p.DIPID, p.Name, strings.Join(p.Roles, " "), strings.Join(p.MPIDs, " "), p.CertFingerprint, p.CertPEM, p.APIKeyHash, p.Disabled, dip.Micros(p.Created))
	return err
}

// Participants returns every participant, by DIP id.
func (db *DB) Participants(ctx context.Context) ([]dip.Participant, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT dip_id, name, roles, mpids, cert_fingerprint, cert_pem, api_key_hash, disabled, created FROM participants ORDER BY dip_id`)
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
	_, err := db.w.ExecContext(ctx, `INSERT INTO webhooks (channel, recipient, callback_url, max_message_count, max_payload_size) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (channel, recipient) DO UPDATE SET callback_url = excluded.callback_url, max_message_count = excluded.max_message_count, max_payload_size = excluded.max_payload_size`,
		w.Channel, w.Recipient, w.CallbackURL, w.MaxMessageCount, w.MaxPayloadSize)
	return err
}

// DeleteWebhook removes a webhook.
func (db *DB) DeleteWebhook(ctx context.Context, channel, recipient string) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM webhooks WHERE channel = ? AND recipient = ?`, channel, recipient)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return dip.ErrNotFound
	}
	return nil
}

// Webhooks returns every webhook.
func (db *DB) Webhooks(ctx context.Context) ([]dip.Webhook, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT channel, recipient, callback_url, max_message_count, max_payload_size FROM webhooks ORDER BY channel, recipient`)
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

// loadPartyFilter fills the party filter from the parties table. This
// process is the table's only writer (the store is embedded), so from here
// on Accept keeps the filter current.
func (db *DB) loadPartyFilter(ctx context.Context) error {
	rows, err := db.r.QueryContext(ctx, `SELECT mpan FROM parties`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var mpan string
		if err := rows.Scan(&mpan); err != nil {
			return err
		}
		db.parties.add(mpan)
	}
	return rows.Err()
}

// Parties returns the registration state of MPANs. MPANs the party filter
// rules out are answered without a query.
func (db *DB) Parties(ctx context.Context, mpans []string) (map[string]dip.Parties, error) {
	out := make(map[string]dip.Parties, len(mpans))
	var maybe []string
	for _, m := range mpans {
		out[m] = dip.Parties{MPAN: m}
		if db.parties.mayContain(m) {
			maybe = append(maybe, m)
		}
	}
	if mpans = maybe; len(mpans) == 0 {
		return out, nil
	}
	st, err := db.stmt(ctx, db.r, `SELECT mpan, supplier, data_service, metering_service, mdr, pending FROM parties WHERE mpan IN (`+placeholders(len(mpans))+`)`)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, anys(mpans)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p dip.Parties
		var pending string
		if err := rows.Scan(&p.MPAN, &p.Supplier, &p.DataService, &p.MeteringService, &p.MDR, &pending); err != nil {
			return nil, err
		}
		p.Pending = dip.DecodePending(pending)
		out[p.MPAN] = p
	}
	return out, rows.Err()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func anys[T any](s []T) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const (
	insertMessageHead = `INSERT OR ROLLBACK INTO messages (seq, transaction_id, channel, event_code, sender, sender_role, sur, correlation_id, mpan, accepted_at, mpan_updated, recipients, body_seg, body_off, body_len) VALUES `
	messageCols15     = 15
	// insertChunkRows is the row count of a full multi-row INSERT: n rows
	// take n/insertChunkRows full statements and one of the rest, so at
	// most insertChunkRows statements of each kind are prepared.
	insertChunkRows = 64
)

// insertChunk is a prepared multi-row INSERT of n rows.
type insertChunk struct {
	stmt *sql.Stmt
	n    int
}

// insertStmts prepares the multi-row INSERTs for n rows of cols values.
func (db *DB) insertStmts(ctx context.Context, head string, cols, n int) ([]insertChunk, error) {
	var out []insertChunk
	ph := "(" + placeholders(cols) + "),"
	for lo := 0; lo < n; lo += insertChunkRows {
		k := min(insertChunkRows, n-lo)
		st, err := db.stmt(ctx, db.w, head+strings.TrimSuffix(strings.Repeat(ph, k), ","))
		if err != nil {
			return nil, err
		}
		out = append(out, insertChunk{st, k})
	}
	return out, nil
}

// execChunks runs the prepared chunks (insertStmts) in tx with args, cols
// values a row.
func execChunks(ctx context.Context, tx *sql.Tx, chunks []insertChunk, cols int, args []any) error {
	for _, c := range chunks {
		k := c.n * cols
		if _, err := tx.StmtContext(ctx, c.stmt).ExecContext(ctx, args[:k]...); err != nil {
			return err
		}
		args = args[k:]
	}
	return nil
}

func (db *DB) updateParties(ctx context.Context, tx *sql.Tx, m *dip.Message) (bool, error) {
	p := dip.Parties{MPAN: m.MPAN}
	var pending string
	err := tx.QueryRowContext(ctx, `SELECT supplier, data_service, metering_service, mdr, pending FROM parties WHERE mpan = ?`, m.MPAN).
		Scan(&p.Supplier, &p.DataService, &p.MeteringService, &p.MDR, &pending)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	p.Pending = dip.DecodePending(pending)
	if !m.UpdateParties(&p) {
		return false, nil
	}
	// Before the row exists: a lookup in between finds no row, as it
	// would have before this message.
	db.parties.add(p.MPAN)
	_, err = tx.ExecContext(ctx, `INSERT INTO parties (mpan, supplier, data_service, metering_service, mdr, pending, updated) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (mpan) DO UPDATE SET supplier = excluded.supplier, data_service = excluded.data_service,
		metering_service = excluded.metering_service, mdr = excluded.mdr, pending = excluded.pending, updated = excluded.updated`,
		p.MPAN, p.Supplier, p.DataService, p.MeteringService, p.MDR, dip.EncodePending(p.Pending), dip.Micros(m.AcceptedAt))
	return err == nil, err
}

// Reject records refused messages.
func (db *DB) Reject(ctx context.Context, rs []dip.Rejection) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, r := range rs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO rejections (sender, sur, channel, event_code, mpan, at, code, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				r.SenderDIPID, r.SenderUniqueReference, r.Channel, r.EventCode, r.MPAN, dip.Micros(r.At), r.Code, r.Reason); err != nil {
				return err
			}
		}
		return nil
	})
}

const deliveryCols = `d.seq, d.recipient, m.recipients, m.channel, COALESCE(m.mpan, ''), d.status, d.attempts, d.next_attempt, d.claimed_until, d.last_error, m.event_code, m.transaction_id, m.accepted_at, m.body_seg, m.body_off, m.body_len`

// doneCols are deliveryCols for a row of deliveries_done: an ended delivery
// has no next attempt and no claim.
const doneCols = `d.seq, d.recipient, m.recipients, m.channel, COALESCE(m.mpan, ''), d.status, d.attempts, 0, NULL, d.last_error, m.event_code, m.transaction_id, m.accepted_at, m.body_seg, m.body_off, m.body_len`

// deliveryRow is a row of deliveryCols.
type deliveryRow struct {
	dip.Delivery
	recipients string
	claimed    int64 // the claim's end; 0: not claimed
	body       bodyRef
}

func scanDelivery(rows *sql.Rows) (deliveryRow, error) {
	var d deliveryRow
	var next, accepted int64
	var claimed sql.NullInt64
	var status string
	err := rows.Scan(&d.Seq, &d.Recipient, &d.recipients, &d.Channel, &d.MPAN, &status, &d.Attempts, &next, &claimed, &d.LastError,
		&d.EventCode, &d.TransactionID, &accepted, &d.body.seg, &d.body.off, &d.body.n)
	d.Status, d.NextAttempt, d.AcceptedAt, d.claimed = dip.Status(status), dip.FromMicros(next), dip.FromMicros(accepted), claimed.Int64
	return d, err
}

// delivery completes the delivery with its role and route, from its
// message's recipients.
func (d *deliveryRow) delivery() dip.Delivery {
	for _, r := range dip.DecodeRecipients(d.recipients) {
		if r.DIPID == d.Recipient {
			d.Role, d.Route = r.Role, r.Route
			break
		}
	}
	return d.Delivery
}

// ClaimDue leases due deliveries. It claims recipient by recipient, walking
// each one's undelivered deliveries (the deliveries table holds no others)
// in seq order and stopping at the limit, so a claim costs what it returns
// plus the undelivered deliveries it passes over (in flight, or waiting for
// a retry), not the size of the recipient's history.
//
// Per-MPAN order: of a recipient's pending deliveries on one channel for
// one MPAN, the walk claims the first if it is claimable, then those that
// follow while each is claimable, up to q.Run in all (a run, posted
// together); the first it does not claim blocks the rest of that (channel,
// MPAN), so no delivery is claimed while an earlier pending one is not
// claimed with it.
func (db *DB) ClaimDue(ctx context.Context, q dip.ClaimQuery) ([]dip.Delivery, error) {
	if len(q.Targets) == 0 || q.Limit <= 0 {
		return nil, nil
	}
	if err := db.caughtUp(ctx); err != nil {
		return nil, err
	}
	paused := map[string]bool{}
	states, err := db.RecipientStates(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range states {
		paused[s.Recipient] = s.Paused
	}
	now := dip.Micros(q.Now)
	run := max(1, q.Run)
	var out []dip.Delivery
	var refs []bodyRef
	err = db.unsyncedTx(ctx, func(tx *sql.Tx) error {
		out, refs = out[:0], refs[:0]
		for _, tg := range q.Targets {
			if paused[tg.Recipient] || len(out) >= q.Limit {
				continue
			}
			var channels map[string]bool
			if tg.Channels != nil {
				channels = make(map[string]bool, len(tg.Channels))
				for _, c := range tg.Channels {
					channels[c] = true
				}
			}
			rows, err := tx.QueryContext(ctx, `SELECT `+deliveryCols+` FROM deliveries d JOIN messages m ON m.seq = d.seq
				WHERE d.recipient = ? ORDER BY d.seq`, tg.Recipient)
			if err != nil {
				return err
			}
			type orderKey struct{ channel, mpan string }
			taken := map[orderKey]int{} // claimed of the key's run so far; -1: blocked
			for len(out) < q.Limit && rows.Next() {
				d, err := scanDelivery(rows)
				if err != nil {
					rows.Close()
					return err
				}
				claimable := dip.Micros(d.NextAttempt) <= now && d.claimed < now && (channels == nil || channels[d.Channel])
				if d.MPAN != "" {
					key := orderKey{d.Channel, d.MPAN}
					n, seen := taken[key]
					if seen && (n < 0 || n >= run) || !claimable {
						taken[key] = -1
						continue
					}
					taken[key] = n + 1
				} else if !claimable {
					continue
				}
				out, refs = append(out, d.delivery()), append(refs, d.body)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		upd, err := tx.PrepareContext(ctx, `UPDATE deliveries SET claimed_until = ?, claimed_by = ? WHERE recipient = ? AND seq = ?`)
		if err != nil {
			return err
		}
		defer upd.Close()
		until := dip.Micros(q.Now.Add(q.Lease))
		for _, d := range out {
			if _, err := upd.ExecContext(ctx, until, q.Owner, d.Recipient, d.Seq); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// A message claimed for several recipients is read (and decompressed)
	// once; its deliveries share the body, which nothing downstream
	// changes (masking and the egress array copy it).
	bodies := make(map[bodyRef][]byte, len(out))
	for i := range out {
		b, ok := bodies[refs[i]]
		if !ok {
			if b, err = db.bodies.read(refs[i]); err != nil {
				return nil, err
			}
			bodies[refs[i]] = b
		}
		out[i].Body = b
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}

// Complete records attempts.
func (db *DB) Complete(ctx context.Context, attempts []dip.Attempt, pauseAfter int) error {
	if err := db.caughtUp(ctx); err != nil {
		return err
	}
	if len(attempts) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		insA, err := tx.PrepareContext(ctx, `INSERT INTO attempts (seq, recipient, at, duration_us, status_code, status, error) VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer insA.Close()
		upd, err := tx.PrepareContext(ctx, `UPDATE deliveries SET status = ?, attempts = attempts + 1, next_attempt = ?, last_error = ?, claimed_until = NULL, claimed_by = NULL WHERE recipient = ? AND seq = ?`)
		if err != nil {
			return err
		}
		defer upd.Close()
		// Deliveries that end move to deliveries_done, a statement pair per
		// outcome (most rounds have one: Delivered).
		type outcome struct{ status, err string }
		var outcomes []outcome
		ended := map[outcome][]any{} // recipient, seq, …
		failures := map[string]int{} // -1: reset
		for _, a := range attempts {
			status := a.Status
			if _, err := insA.ExecContext(ctx, a.Seq, a.Recipient, dip.Micros(a.At), a.Duration.Microseconds(), a.StatusCode, string(status), a.Error); err != nil {
				return err
			}
			next := dip.Micros(a.Next)
			if next == 0 {
				next = dip.Micros(a.At)
			}
			if status.Final() {
				o := outcome{string(status), a.Error}
				if _, seen := ended[o]; !seen {
					outcomes = append(outcomes, o)
				}
				ended[o] = append(ended[o], a.Recipient, a.Seq)
			} else if _, err := upd.ExecContext(ctx, string(status), next, a.Error, a.Recipient, a.Seq); err != nil {
				return err
			}
			switch {
			case a.Failure && failures[a.Recipient] >= 0:
				failures[a.Recipient]++
			case !a.Failure:
				failures[a.Recipient] = -1
			}
		}
		for _, o := range outcomes {
			keys := ended[o]
			for len(keys) > 0 {
				chunk := keys[:min(len(keys), 2*insertChunkRows)]
				keys = keys[len(chunk):]
				in := `(recipient, seq) IN (VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?),", len(chunk)/2), ",") + `)`
				if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO deliveries_done (recipient, seq, status, attempts, last_error)
					SELECT recipient, seq, ?, attempts + 1, ? FROM deliveries WHERE `+in, append([]any{o.status, o.err}, chunk...)...); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM deliveries WHERE `+in, chunk...); err != nil {
					return err
				}
			}
		}
		for r, n := range failures {
			if n < 0 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO recipients (recipient, failures) VALUES (?, 0) ON CONFLICT (recipient) DO UPDATE SET failures = 0`, r); err != nil {
					return err
				}
				continue
			}
			var total int
			if err := tx.QueryRowContext(ctx, `INSERT INTO recipients (recipient, failures) VALUES (?, ?) ON CONFLICT (recipient) DO UPDATE SET failures = failures + excluded.failures RETURNING failures`, r, n).Scan(&total); err != nil {
				return err
			}
			if pauseAfter > 0 && total >= pauseAfter {
				if _, err := tx.ExecContext(ctx, `UPDATE recipients SET paused = 1, paused_at = ? WHERE recipient = ? AND paused = 0`, dip.Micros(attempts[0].At), r); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Resume unpauses a recipient.
func (db *DB) Resume(ctx context.Context, recipient string, now time.Time) error {
	if err := db.caughtUp(ctx); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE recipients SET paused = 0, failures = 0 WHERE recipient = ?`, recipient)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return dip.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `UPDATE deliveries SET next_attempt = ? WHERE recipient = ? AND status = 'Retrying'`, dip.Micros(now), recipient)
		return err
	})
}

// RecipientStates returns every recipient's health.
func (db *DB) RecipientStates(ctx context.Context) ([]dip.RecipientState, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT recipient, paused, paused_at, failures FROM recipients ORDER BY recipient`)
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
func (db *DB) Deliveries(ctx context.Context, recipient string, status dip.Status, limit int) ([]dip.Delivery, error) {
	if err := db.caughtUp(ctx); err != nil {
		return nil, err
	}
	cols, table := deliveryCols, "deliveries"
	if status.Final() {
		cols, table = doneCols, "deliveries_done"
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+cols+` FROM `+table+` d JOIN messages m ON m.seq = d.seq
		WHERE d.recipient = ? AND d.status = ? ORDER BY d.seq LIMIT ?`, recipient, string(status), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dip.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d.delivery())
	}
	return out, rows.Err()
}

// Requeue makes deliveries due again.
func (db *DB) Requeue(ctx context.Context, recipient string, seqs []int64, now time.Time) (int, error) {
	if err := db.caughtUp(ctx); err != nil {
		return 0, err
	}
	if len(seqs) == 0 {
		return 0, nil
	}
	in := `recipient = ? AND seq IN (` + placeholders(len(seqs)) + `)`
	args := append([]any{dip.Micros(now), recipient}, anys(seqs)...)
	var n int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		// Undelivered ones are due now; ended ones move back, attempts kept.
		for _, q := range []string{
			`UPDATE deliveries SET status = 'Pending', next_attempt = ?, claimed_until = NULL, claimed_by = NULL WHERE ` + in,
			`INSERT INTO deliveries (recipient, seq, status, attempts, next_attempt, last_error)
				SELECT recipient, seq, 'Pending', attempts, ?, last_error FROM deliveries_done WHERE ` + in,
		} {
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += k
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM deliveries_done WHERE `+in, args[1:]...)
		return err
	})
	return int(n), err
}

const messageCols = `m.seq, m.transaction_id, m.channel, m.event_code, m.sender, m.sender_role, m.sur, m.correlation_id, COALESCE(m.mpan, ''), m.accepted_at, m.mpan_updated, m.recipients`

func (db *DB) scanMessage(row interface{ Scan(...any) error }, withBody bool) (dip.Message, bool, error) {
	var m dip.Message
	var accepted int64
	var updated bool
	var recips string
	var ref bodyRef
	dest := []any{&m.Seq, &m.TransactionID, &m.Channel, &m.EventCode, &m.SenderDIPID, &m.SenderRole, &m.SenderUniqueReference, &m.CorrelationID, &m.MPAN, &accepted, &updated, &recips}
	if withBody {
		dest = append(dest, &ref.seg, &ref.off, &ref.n)
	}
	err := row.Scan(dest...)
	if err == nil && withBody {
		m.Body, err = db.bodies.read(ref)
	}
	m.AcceptedAt, m.Recipients = dip.FromMicros(accepted), dip.DecodeRecipients(recips)
	return m, updated, err
}

// Journal returns the journal of a sender's message.
func (db *DB) Journal(ctx context.Context, sender, sur string) (dip.JournalRecord, error) {
	if err := db.caughtUp(ctx); err != nil {
		return dip.JournalRecord{}, err
	}
	m, updated, err := db.scanMessage(db.r.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages m WHERE sender = ? AND sur = ?`, sender, sur), false)
	if errors.Is(err, sql.ErrNoRows) {
		rows, err := db.r.QueryContext(ctx, `SELECT channel, event_code, mpan, at, code, reason FROM rejections WHERE sender = ? AND sur = ? ORDER BY at`, sender, sur)
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
		if len(rec.Entries) == 0 {
			return dip.JournalRecord{}, dip.ErrNotFound
		}
		return rec, rows.Err()
	}
	if err != nil {
		return dip.JournalRecord{}, err
	}
	rec := dip.JournalRecord{Message: m, Entries: dip.AcceptedJournal(&m, updated)}
	rows, err := db.r.QueryContext(ctx, `SELECT recipient, at, duration_us, status_code, status, error FROM attempts WHERE seq = ? ORDER BY at, rowid`, m.Seq)
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

// Replay returns a recipient's messages on a channel.
func (db *DB) Replay(ctx context.Context, q dip.ReplayQuery) ([]dip.Message, bool, error) {
	if err := db.caughtUp(ctx); err != nil {
		return nil, false, err
	}
	where := []string{"d.recipient = ?", "d.seq > ?"}
	args := []any{q.Recipient, q.AfterSeq}
	if q.Channel != "" {
		where, args = append(where, "m.channel = ?"), append(args, q.Channel)
	}
	if !q.From.IsZero() {
		where, args = append(where, "m.accepted_at >= ?"), append(args, dip.Micros(q.From))
	}
	if !q.To.IsZero() {
		where, args = append(where, "m.accepted_at <= ?"), append(args, dip.Micros(q.To))
	}
	if q.EventCode != "" {
		where, args = append(where, "m.event_code = ?"), append(args, q.EventCode)
	}
	if q.MPAN != "" {
		where, args = append(where, "m.mpan = ?"), append(args, q.MPAN)
	}
	if len(q.TransactionIDs) > 0 {
		where, args = append(where, "m.transaction_id IN ("+placeholders(len(q.TransactionIDs))+")"), append(args, anys(q.TransactionIDs)...)
	}
	// The recipient's deliveries are in two tables, each walked on its
	// primary key in seq order up to the page's end (ordered by d.seq, not
	// m.seq, which would sort all the recipient's later messages first);
	// the page is the first of both.
	arm := func(table string) string {
		return `SELECT seq FROM (SELECT d.seq FROM ` + table + ` d JOIN messages m ON m.seq = d.seq
			WHERE ` + strings.Join(where, " AND ") + ` ORDER BY d.seq LIMIT ?)`
	}
	args = append(args, q.Limit+1)
	args = append(slices.Clone(args), args...)
	args = append(args, q.Limit+1)
	rows, err := db.r.QueryContext(ctx, `SELECT `+messageCols+`, m.body_seg, m.body_off, m.body_len FROM messages m
		WHERE m.seq IN (`+arm("deliveries")+` UNION ALL `+arm("deliveries_done")+`) ORDER BY m.seq LIMIT ?`, args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []dip.Message
	for rows.Next() {
		m, _, err := db.scanMessage(rows, true)
		if err != nil {
			return nil, false, err
		}
		out = append(out, m)
	}
	more := len(out) > q.Limit
	if more {
		out = out[:q.Limit]
	}
	return out, more, rows.Err()
}

// Purge deletes old messages whose deliveries are all final. Messages are
// found by seq, without an index on accepted_at: seq follows acceptance
// (the committer assigns it to messages accepted within milliseconds of each
// other), so a binary search over seq finds where the old ones end, and the
// accepted_at test on that range stays exact. Body segments older than the
// oldest message left are removed.
func (db *DB) Purge(ctx context.Context, cutoff time.Time) (int, error) {
	if err := db.caughtUp(ctx); err != nil {
		return 0, err
	}
	bound, err := db.firstSeqAtOrAfter(ctx, dip.Micros(cutoff))
	if err != nil {
		return 0, err
	}
	var n int
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if err := resetPurgeSeqs(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO purge_seqs SELECT seq FROM messages m WHERE seq < ? AND accepted_at < ?
			AND NOT EXISTS (SELECT 1 FROM json_each(m.recipients) r JOIN deliveries d ON d.recipient = r.value ->> 2 AND d.seq = m.seq)`,
			bound, dip.Micros(cutoff)); err != nil {
			return err
		}
		n, err = deletePurged(ctx, tx, cutoff)
		return err
	})
	if err != nil || n == 0 {
		return n, err
	}
	return n, db.removeUnusedSegments(ctx)
}

// resetPurgeSeqs empties the temporary table of the seqs a purge deletes.
func resetPurgeSeqs(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE IF NOT EXISTS purge_seqs (seq INTEGER PRIMARY KEY)`); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM purge_seqs`)
	return err
}

// deletePurged deletes the messages of purge_seqs with their deliveries
// and attempts, then the rejections and requeue jobs from before cutoff; it
// returns how many messages.
func deletePurged(ctx context.Context, tx *sql.Tx, cutoff time.Time) (int, error) {
	for _, q := range []string{
		`DELETE FROM attempts WHERE seq IN (SELECT seq FROM purge_seqs)`,
		`DELETE FROM deliveries_done WHERE (recipient, seq) IN (SELECT r.value ->> 2, m.seq FROM purge_seqs p JOIN messages m ON m.seq = p.seq, json_each(m.recipients) r)`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return 0, err
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE seq IN (SELECT seq FROM purge_seqs)`)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	if _, err := tx.ExecContext(ctx, `DELETE FROM rejections WHERE at < ?`, dip.Micros(cutoff)); err != nil {
		return 0, err
	}
	// A job still Processing with no progress since cutoff (days) was
	// abandoned long ago.
	_, err = tx.ExecContext(ctx, `DELETE FROM requeues WHERE updated < ?`, dip.Micros(cutoff))
	return int(n), err
}

// removeUnusedSegments removes the body segments older than the oldest
// message left.
func (db *DB) removeUnusedSegments(ctx context.Context) error {
	var oldest sql.NullInt64
	if err := db.r.QueryRowContext(ctx, `SELECT body_seg FROM messages ORDER BY seq LIMIT 1`).Scan(&oldest); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if !oldest.Valid { // no message left: every segment but the current one goes
		oldest.Int64 = math.MaxInt64
	}
	// The log past the indexed part is the only copy of what it holds.
	db.in.mu.Lock()
	keep := min(oldest.Int64, db.in.seg)
	db.in.mu.Unlock()
	return db.bodies.removeBelow(keep)
}

// firstSeqAtOrAfter returns the first seq whose message was accepted at or
// after micros (one past the last seq if none), by binary search over seq.
func (db *DB) firstSeqAtOrAfter(ctx context.Context, micros int64) (int64, error) {
	var lo, hi int64
	if err := db.r.QueryRowContext(ctx, `SELECT COALESCE(MIN(seq), 0), COALESCE(MAX(seq), 0) + 1 FROM messages`).Scan(&lo, &hi); err != nil {
		return 0, err
	}
	if hi == 1 { // no message
		return 1, nil
	}
	st, err := db.stmt(ctx, db.r, `SELECT seq, accepted_at FROM messages WHERE seq >= ? ORDER BY seq LIMIT 1`)
	if err != nil {
		return 0, err
	}
	for lo < hi { // invariant: the answer is in [lo, hi]
		mid := lo + (hi-lo)/2
		var seq, at int64
		if err := st.QueryRowContext(ctx, mid).Scan(&seq, &at); err != nil {
			return 0, err // mid < hi <= MAX(seq)+1, so a row exists
		}
		if at >= micros {
			hi = mid
		} else {
			lo = seq + 1
		}
	}
	return lo, nil
}

// LoadParties adds the parties of MPANs the table does not hold
// (dip.PartiesLoader). Only the process that holds the intake log may: a
// running DIP's party filter would not see rows another process added.
func (db *DB) LoadParties(ctx context.Context, ps []dip.Parties, at time.Time) (int, error) {
	if db.lock == nil {
		return 0, errSecondary
	}
	added := 0
	for len(ps) > 0 {
		n, k := min(len(ps), 5000), 0
		err := db.tx(ctx, func(tx *sql.Tx) error {
			st, err := tx.PrepareContext(ctx, `INSERT INTO parties (mpan, supplier, data_service, metering_service, mdr, pending, updated)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (mpan) DO NOTHING`)
			if err != nil {
				return err
			}
			defer st.Close()
			for _, p := range ps[:n] {
				res, err := st.ExecContext(ctx, p.MPAN, p.Supplier, p.DataService, p.MeteringService, p.MDR, dip.EncodePending(p.Pending), dip.Micros(at))
				if err != nil {
					return err
				}
				if r, _ := res.RowsAffected(); r > 0 {
					db.parties.add(p.MPAN) // before commit: a filter may say yes too often, never too rarely
					k++
				}
			}
			return nil
		})
		if err != nil {
			return added, err
		}
		added += k
		ps = ps[n:]
	}
	return added, nil
}
