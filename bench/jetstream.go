// Package bench holds mhhs's peer benchmarks: the systems mhhs is measured
// against in the same run, with the harness that drives both. It is a module
// of its own so that the peers' dependencies (NATS today; cgo-needing engines
// later) never enter mhhs's own go.mod.
package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// StreamName and StreamSubjects name the JetStream stream that stands in for
// the DIP's message log.
const (
	StreamName     = "DIP"
	StreamSubjects = "dip.>"
)

// JetStream is an embedded NATS server with JetStream enabled, one file
// storage stream "DIP" on the subjects "dip.>" (one replica), and one
// in-process client connection. It is the peer of the DIP intake: a
// message counts as taken in when Publish returns, that is when the server
// has stored it and sent back its PubAck.
//
// Durability depends on the mode chosen at start:
//   - syncAlways: the file store fsyncs every message before the ack, so an
//     acked message survives an OS crash.
//   - default: the file store writes each message to the OS and fsyncs in
//     the background every sync interval (2 minutes by default); an OS crash
//     or power loss can lose acked messages. In production JetStream gets
//     its durability from R3 replication instead; a single-node hub can't.
//
// The methods are safe for concurrent use: many goroutines may publish on
// the one connection.
type JetStream struct {
	srv   *server.Server
	nc    *nats.Conn
	js    nats.JetStreamContext
	close sync.Once
}

// StartJetStream starts an embedded server storing under dir, with no
// network listener (the client connects through an in-process pipe), and
// creates the stream. The caller must Close it.
func StartJetStream(dir string, syncAlways bool) (*JetStream, error) {
	opts := &server.Options{
		ServerName: "mhhs-bench",
		DontListen: true,
		JetStream:  true,
		StoreDir:   dir,
		SyncAlways: syncAlways,
		NoLog:      true,
		NoSigs:     true,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("bench: nats server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("bench: nats server not ready after 10s")
	}
	nc, err := nats.Connect("", nats.InProcessServer(srv), nats.Name("mhhs-bench"))
	if err != nil {
		srv.Shutdown()
		return nil, fmt.Errorf("bench: in-process connection: %w", err)
	}
	j := &JetStream{srv: srv, nc: nc}
	// The legacy JetStream API of nats.go, as in the measurements of
	// performance-research.md §3.5.
	j.js, err = nc.JetStream(nats.PublishAsyncMaxPending(4096))
	if err == nil {
		_, err = j.js.AddStream(&nats.StreamConfig{
			Name:     StreamName,
			Subjects: []string{StreamSubjects},
			Storage:  nats.FileStorage,
			Replicas: 1,
		})
	}
	if err != nil {
		j.Close()
		return nil, fmt.Errorf("bench: stream %s: %w", StreamName, err)
	}
	return j, nil
}

// Publish stores data on subject and waits for the server's PubAck: on
// return the message is in the stream, durable by the server's sync policy.
func (j *JetStream) Publish(ctx context.Context, subject string, data []byte) error {
	_, err := j.js.Publish(subject, data, nats.Context(ctx))
	return err
}

// PublishAsync sends data on subject without waiting for its PubAck. The
// returned future resolves when the server acks (or fails) the message. At
// most 4096 messages are outstanding; beyond that it blocks (for up to 30s). The caller may
// reuse data once PublishAsync returns.
func (j *JetStream) PublishAsync(subject string, data []byte) (nats.PubAckFuture, error) {
	return j.js.PublishAsync(subject, data, nats.StallWait(asyncStallWait))
}

// asyncStallWait is how long PublishAsync blocks, with the window full,
// for an ack before it fails. nats.go's default is 200ms; a full window of
// 4096 messages takes seconds to ack when each is fsynced.
const asyncStallWait = 30 * time.Second

// PublishAsyncComplete is closed when every outstanding PublishAsync has
// been acked or failed.
func (j *JetStream) PublishAsyncComplete() <-chan struct{} {
	return j.js.PublishAsyncComplete()
}

// Messages returns the number of messages in the stream.
func (j *JetStream) Messages(ctx context.Context) (uint64, error) {
	info, err := j.js.StreamInfo(StreamName, nats.Context(ctx))
	if err != nil {
		return 0, err
	}
	return info.State.Msgs, nil
}

// Close closes the connection and shuts the server down, waiting for it to
// stop (the file store is flushed and closed). Calls after the first do
// nothing.
func (j *JetStream) Close() {
	j.close.Do(func() {
		if j.nc != nil {
			j.nc.Close()
		}
		j.srv.Shutdown()
		j.srv.WaitForShutdown()
	})
}
