//go:build linux

package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// BenchmarkDiskSync is the durability ceiling of the a1 workload
// (performance-research.md §3.4, §4): the same IF-021 bodies appended to one
// file by one writer, with an fdatasync after every `batch` messages, and
// nothing else (no validation, no index, no routing). A message counts when
// the sync that covers it returns; its latency is from its write to that
// return. JetStream's sync-always mode and a group-committing hub are both
// bounded by the batch-1 and batch-N rates of the disk they run on, which
// on these shared VMs vary from run to run: read them side by side.
func BenchmarkDiskSync(b *testing.B) {
	for _, batch := range []int{1, 16} {
		b.Run("batch-"+strconv.Itoa(batch), func(b *testing.B) {
			f, err := os.OpenFile(filepath.Join(b.TempDir(), "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			first := int(nextMessage.Add(int64(b.N))) - b.N
			size := len(IF021Message(0))
			b.SetBytes(int64(size))
			buf := make([]byte, 0, size)
			lat := make([]time.Duration, 0, b.N)
			starts := make([]time.Time, 0, batch)
			b.ResetTimer()
			for n := range b.N {
				buf = AppendIF021Message(buf, first+n)
				starts = append(starts, time.Now())
				if _, err := f.Write(buf); err != nil {
					b.Fatal(err)
				}
				if len(starts) == batch || n == b.N-1 {
					if err := syscall.Fdatasync(int(f.Fd())); err != nil {
						b.Fatal(err)
					}
					now := time.Now()
					for _, t0 := range starts {
						lat = append(lat, now.Sub(t0))
					}
					starts = starts[:0]
				}
			}
			b.StopTimer()
			reportLatency(b, lat)
		})
	}
}
