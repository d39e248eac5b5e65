package bench

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// if021Subject is the subject the peer publishes every IF-021 message on.
//
// Fan-out: the DIP delivers each message to every recipient (2-4 for
// consumption data), and the mhhs intake writes one delivery row per
// recipient in the same durable commit. The JetStream peer publishes each
// message once: the stream is the log, and each recipient reads it through
// its own consumer, whose state is an ack floor rather than a row per
// message. That is how one would build the DIP on JetStream, so it is the
// fair peer, but it means the peer writes one record per message where the
// hub writes 1 + recipients.
const if021Subject = "dip.IF-021"

var jetStreamModes = []struct {
	name       string
	syncAlways bool
}{
	{"sync-always", true}, // fsync per message before the PubAck
	{"default", false},    // fsync every 2 minutes in the background
}

// startJetStream starts a JetStream peer in b.TempDir(), closed (before the
// directory is removed) when the benchmark round ends.
func startJetStream(tb testing.TB, dir string, syncAlways bool) *JetStream {
	tb.Helper()
	js, err := StartJetStream(dir, syncAlways)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(js.Close)
	return js
}

// checkStored fails unless the stream holds exactly n messages: every acked
// message is there, and nothing else.
func checkStored(tb testing.TB, js *JetStream, n int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := js.Messages(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if got != uint64(n) {
		tb.Fatalf("stream holds %d messages, want %d", got, n)
	}
}

func TestJetStream(t *testing.T) {
	for _, mode := range jetStreamModes {
		t.Run(mode.name, func(t *testing.T) {
			dir := t.TempDir()
			js := startJetStream(t, dir, mode.syncAlways)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for i := range 10 {
				if err := js.Publish(ctx, if021Subject, IF021Message(i)); err != nil {
					t.Fatal(err)
				}
			}
			var futures []nats.PubAckFuture
			for i := 10; i < 20; i++ {
				f, err := js.PublishAsync(if021Subject, IF021Message(i))
				if err != nil {
					t.Fatal(err)
				}
				futures = append(futures, f)
			}
			select {
			case <-js.PublishAsyncComplete():
			case <-ctx.Done():
				t.Fatal("async publishes not acked")
			}
			for _, f := range futures {
				select {
				case ack := <-f.Ok():
					if ack.Stream != StreamName {
						t.Errorf("acked by stream %q", ack.Stream)
					}
				case err := <-f.Err():
					t.Fatal(err)
				}
			}
			checkStored(t, js, 20)
			if err := js.Publish(ctx, "elsewhere", IF021Message(0)); err == nil {
				t.Error("publish outside dip.> was acked")
			}

			// The messages survive a restart on the same directory.
			js.Close()
			js = startJetStream(t, dir, mode.syncAlways)
			checkStored(t, js, 20)
		})
	}
}

// BenchmarkJetStream is the peer of the DIP intake (performance-research.md
// §4, a1): embedded NATS JetStream (file store, one replica, in-process
// connection) taking in the same ~5 KB IF-021 bodies from Senders
// concurrent senders, each a synchronous publish awaiting the PubAck. Once
// with an fsync per message (sync-always), once in JetStream's default mode,
// which acks before the data reaches the disk.
func BenchmarkJetStream(b *testing.B) {
	for _, mode := range jetStreamModes {
		b.Run(mode.name, func(b *testing.B) {
			js := startJetStream(b, b.TempDir(), mode.syncAlways)
			runSenders(b, Senders, func(ctx context.Context, _ int, body []byte) error {
				return js.Publish(ctx, if021Subject, body)
			}, nil)
			checkStored(b, js, b.N)
		})
	}
}

// BenchmarkJetStreamAsync is JetStream's ingest ceiling: one publisher,
// PublishAsync with up to 4096 messages awaiting their PubAck (the
// "windowed" async figures of performance-research.md §3.5). The latency is
// from PublishAsync to the ack as seen by a collector goroutine that waits
// on the futures in order.
func BenchmarkJetStreamAsync(b *testing.B) {
	for _, mode := range jetStreamModes {
		b.Run(mode.name, func(b *testing.B) {
			js := startJetStream(b, b.TempDir(), mode.syncAlways)
			first := int(nextMessage.Add(int64(b.N))) - b.N
			size := len(IF021Message(0))
			b.SetBytes(int64(size))
			type inflight struct {
				t0 time.Time
				f  nats.PubAckFuture
			}
			pending := make(chan inflight, 4096)
			lat := make([]time.Duration, 0, b.N)
			done := make(chan error, 1)
			go func() {
				var err error
				for p := range pending {
					select {
					case <-p.f.Ok():
						lat = append(lat, time.Since(p.t0))
					case e := <-p.f.Err():
						if err == nil {
							err = e
						}
					}
				}
				done <- err
			}()
			buf := make([]byte, 0, size)
			b.ResetTimer()
			for n := range b.N {
				buf = AppendIF021Message(buf, first+n)
				t0 := time.Now()
				f, err := js.PublishAsync(if021Subject, buf)
				if err != nil {
					b.Fatal(err)
				}
				pending <- inflight{t0, f}
			}
			close(pending)
			err := <-done
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			reportLatency(b, lat)
			checkStored(b, js, b.N)
		})
	}
}
