package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/catalogue/cataloguetest"
	"github.com/mhhs/mhhs/internal/dip"
)

// BenchmarkIndex measures the indexer alone: the rows of b.N messages
// (fan-out 3, as in bench/'s intake benchmark) written in index
// transactions of 16 to 1,024 messages.
//
//	go test -run '^$' -bench BenchmarkIndex -benchmem ./internal/sqlite/
func BenchmarkIndex(b *testing.B) {
	for _, batch := range []int{16, 64, 256, 1024} {
		b.Run(fmt.Sprintf("batch-%d", batch), func(b *testing.B) { benchmarkIndex(b, batch) })
	}
}

func benchmarkIndex(b *testing.B, batch int) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "mhhs.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	recips := []dip.Recipient{{DIPID: "1800000001", Role: "MDS", Route: dip.Always}, {DIPID: "1900000001", Role: "LSS", Route: dip.Always},
		{DIPID: "1400000001", Role: "LDSO", Route: dip.Secondary}}
	enc := dip.EncodeRecipients(recips)
	items := make([]indexItem, b.N)
	for i := range items {
		m := bodyMsg(fmt.Sprintf("S-%d", i), t0)
		m.Seq, m.MPAN, m.Recipients, m.Body = int64(i+1), "1200023305967", recips, nil
		items[i] = indexItem{m: *m, recipients: enc, ref: bodyRef{seg: 1, off: int64(i) * 5000, n: 5000}}
	}
	b.ResetTimer()
	for lo := 0; lo < len(items); lo += batch {
		if err := db.index(ctx, items[lo:min(lo+batch, len(items))]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDuplicates measures Accept's duplicate check of a group commit
// of 25 new references against an index of 100,000 messages.
func BenchmarkDuplicates(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "mhhs.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const indexed = 100_000
	items := make([]indexItem, indexed)
	for i := range items {
		m := bodyMsg(fmt.Sprintf("S-%d", i), t0)
		m.Seq = int64(i + 1)
		items[i] = indexItem{m: *m, recipients: dip.EncodeRecipients(m.Recipients), ref: bodyRef{seg: 1, n: 1}}
	}
	for lo := 0; lo < indexed; lo += maxIndexBatch {
		if err := db.index(ctx, items[lo:min(lo+maxIndexBatch, indexed)]); err != nil {
			b.Fatal(err)
		}
	}
	batch := make([]*dip.Message, 25)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for i := range batch {
			batch[i] = bodyMsg(fmt.Sprintf("N-%d-%d", n, i), t0)
		}
		dup, err := db.duplicates(ctx, batch)
		if err != nil || dup[0] {
			b.Fatal(dup[0], err)
		}
	}
}

// BenchmarkBodyCompression measures what the intake log's compression
// costs an IF-021 body (48 periods, as in bench/'s intake benchmark):
// compressing it as Accept frames it, and decompressing it as a delivery
// reads it. The stored size is reported per body.
//
//	go test -run '^$' -bench BenchmarkBodyCompression ./internal/sqlite/
func BenchmarkBodyCompression(b *testing.B) {
	payload, err := catalogue.Encode(cataloguetest.IF021("1200000001", "1400000001", "SUR-0000000001", "1200023305967"))
	if err != nil {
		b.Fatal(err)
	}
	body := cataloguetest.PythonSpacing(append(append([]byte(`[{"payload":`), payload...), `}]`...))
	packed := s2.Encode(nil, body)
	b.Run("compress", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		dst := make([]byte, s2.MaxEncodedLen(len(body)))
		for b.Loop() {
			s2.Encode(dst, body)
		}
		b.ReportMetric(float64(len(body)), "bytes-in")
		b.ReportMetric(float64(len(packed)), "bytes-stored")
	})
	b.Run("decompress", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := s2.Decode(nil, packed); err != nil {
				b.Fatal(err)
			}
		}
	})
}
