package sqlite

import (
	"bytes"
	"testing"
)

// FuzzDecodeRecord: decoding arbitrary bytes (a damaged or cut-short log)
// never panics, and whatever decodes re-encodes to the same bytes; records
// built from the fuzzed fields round-trip.
func FuzzDecodeRecord(f *testing.F) {
	rec := logRecord{flags: recordSync, seq: 42, acceptedAt: -7, body: []byte(`[{"x":1}]`)}
	rec.fields[fSUR] = "S-1"
	good, _ := appendRecord(nil, &rec)
	f.Add(good, "T-1", []byte("body"))
	f.Add(good[:len(good)-1], "", []byte{})
	f.Add([]byte(logMagic), "\x00", []byte{0})
	f.Fuzz(func(t *testing.T, b []byte, field string, body []byte) {
		if r, n, bodyAt, err := decodeRecord(b); err == nil {
			again, at := appendRecord(nil, &r)
			if !bytes.Equal(again, b[:n]) || at != bodyAt {
				t.Fatalf("decoded %+v from %x, which encodes to %x (body at %d, not %d)", r, b[:n], again, at, bodyAt)
			}
		}
		r := logRecord{seq: int64(len(b)) + 1, acceptedAt: int64(len(field)), body: body}
		for i := range r.fields {
			r.fields[i] = field
		}
		enc, at := appendRecord(b[:0:0], &r)
		got, n, bodyAt, err := decodeRecord(append(enc, b...))
		if err != nil || n != len(enc) || bodyAt != at || got.seq != r.seq || got.fields != r.fields || !bytes.Equal(got.body, body) {
			t.Fatalf("round trip of %+v: %+v, %d, %d, %v", r, got, n, bodyAt, err)
		}
	})
}
