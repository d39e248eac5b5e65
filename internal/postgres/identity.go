package postgres

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// A process's identity in its claims (docs/routing.md, Process identity).
//
// Every claim names its owner, "NAME#INCARNATION": NAME is the hub's
// Config.Owner (mhhs serve --owner), which a process keeps across
// restarts; INCARNATION is one run of this store, a random 64-bit key in
// 16 hex digits. The incarnation holds a session-level advisory lock on its
// key, on a connection of its own, for as long as it lives, and every claim
// is made on that connection: a claim is only ever made while its
// incarnation's lock is held. When the process ends, however it ends, its
// connection closes and PostgreSQL releases the lock. So a process starting
// as NAME can tell the claims of an ended run of NAME (the lock is free:
// release them now) from those of a run still going (a second process
// started as NAME by mistake: leave them to their lease), by trying each
// key's lock.
//
// If the connection breaks while the process lives (the server restarts,
// the network drops), the claim on it fails and the next claim starts a new
// incarnation. The claims of the old one then count as ended: a process
// starting as NAME meanwhile releases them, and a delivery still in flight
// in the old run is delivered again, as after a lease that ran out.

// incarnation is this store's run: its key, locked on conn.
type incarnation struct {
	key  int64
	conn *pgx.Conn
}

// owner is the claimed_by of a claim made by name in this incarnation.
func (inc *incarnation) owner(name string) string {
	return fmt.Sprintf("%s#%016x", name, inc.key)
}

// incarnationLocked returns the store's incarnation, starting one if there
// is none. db.claimMu is held.
func (db *DB) incarnationLocked(ctx context.Context) (*incarnation, error) {
	if db.inc != nil {
		return db.inc, nil
	}
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig)
	if err != nil {
		return nil, fmt.Errorf("postgres: the claim connection: %w", err)
	}
	// A key another session holds (a running incarnation's; the odds are
	// 2^-63) is not ours to take: draw again.
	for range 3 {
		var b [8]byte
		rand.Read(b[:])
		key := int64(binary.BigEndian.Uint64(b[:]) >> 1)
		var locked bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&locked); err != nil {
			conn.Close(context.Background())
			return nil, fmt.Errorf("postgres: locking the incarnation: %w", err)
		}
		if locked {
			db.inc = &incarnation{key: key, conn: conn}
			return db.inc, nil
		}
	}
	conn.Close(context.Background())
	return nil, errors.New("postgres: no free incarnation key")
}

// endIncarnationLocked ends the incarnation if its connection is broken,
// so that the next claim starts a new one. db.claimMu is held.
func (db *DB) endIncarnationLocked() {
	if db.inc != nil && db.inc.conn.IsClosed() {
		db.inc = nil
	}
}

// closeIncarnation ends the incarnation: its lock is released with its
// connection.
func (db *DB) closeIncarnation() {
	db.claimMu.Lock()
	defer db.claimMu.Unlock()
	if db.inc != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		// Unlocked before the connection closes, so that the incarnation
		// has ended when Close returns (a closing backend releases its
		// locks a moment after the client has gone).
		db.inc.conn.Exec(ctx, `SELECT pg_advisory_unlock_all()`)
		db.inc.conn.Close(ctx)
		cancel()
		db.inc = nil
	}
}

// ReleaseOwner releases the claims of the ended incarnations of owner, the
// name this process runs as, and returns how many (dip.OwnerReleaser). It
// starts this store's incarnation first, so that its own claims are never
// among them. A claim whose incarnation's lock is held belongs to a running
// process, and is left to its lease, as are other owners' claims.
func (db *DB) ReleaseOwner(ctx context.Context, owner string) (int, error) {
	db.claimMu.Lock()
	inc, err := db.incarnationLocked(ctx)
	var self string
	if inc != nil {
		self = inc.owner(owner)
	}
	db.claimMu.Unlock()
	if err != nil {
		return 0, err
	}
	prefix := owner + "#"
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT claimed_by FROM deliveries
		WHERE status IN ('Pending', 'Retrying') AND left(claimed_by, length($1)) = $1`, prefix)
	if err != nil {
		return 0, err
	}
	owners, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, err
	}
	released := 0
	err = db.tx(ctx, func(tx pgx.Tx) error {
		for _, o := range owners {
			hex := strings.TrimPrefix(o, prefix)
			key, err := strconv.ParseUint(hex, 16, 63)
			if o == self || len(hex) != 16 || err != nil {
				continue // this run, or another owner's whose name starts with ours and a '#'
			}
			// Free: the incarnation ended. The transaction holds the lock
			// until it commits; an ended incarnation never comes back.
			var ended bool
			if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, int64(key)).Scan(&ended); err != nil {
				return err
			}
			if !ended {
				continue
			}
			tag, err := tx.Exec(ctx, `UPDATE deliveries SET claimed_until = NULL, claimed_by = NULL
				WHERE status IN ('Pending', 'Retrying') AND claimed_by = $1`, o)
			if err != nil {
				return err
			}
			released += int(tag.RowsAffected())
		}
		return nil
	})
	return released, err
}
