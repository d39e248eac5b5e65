package sqlite

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"testing"
)

// FuzzDecodeRecord: decoding arbitrary bytes (a damaged or cut-short log)
// never panics, and whatever decodes re-encodes to the same bytes; records
// built from the fuzzed fields round-trip. Because a fuzzer rarely guesses a
// CRC, the fuzzed bytes are also framed as a payload under a correct header
// (then optionally with a wrong CRC, a short length or a cut), and decoded
// both by decodeRecord and by referenceDecodeRecord, a second decoder written
// from the format's description; the two must agree on every field, the
// framed length, the body's offset and whether the bytes are a record.
func FuzzDecodeRecord(f *testing.F) {
	rec := logRecord{flags: recordSync, seq: 42, acceptedAt: -7, body: []byte(`[{"x":1}]`)}
	rec.fields[fSUR] = "S-1"
	good, _ := appendRecord(nil, &rec)
	f.Add(good, "T-1", []byte("body"), uint8(0))
	f.Add(good[:len(good)-1], "", []byte{}, uint8(0))
	f.Add([]byte(logMagic), "\x00", []byte{0}, uint8(0))
	// Payloads: a whole one; one whose last field ends the record (no body);
	// one whose last field is one byte short; seq zero, seq 2^62 and 2^62+1;
	// a non-minimal varint.
	payload := good[recordHead:]
	f.Add(payload, "", []byte(nil), uint8(framed))
	noBody := payload[:len(payload)-len(rec.body)]
	f.Add(noBody, "", []byte(nil), uint8(framed))
	f.Add(noBody[:len(noBody)-1], "", []byte(nil), uint8(framed))
	f.Add(append([]byte{0, 0, 0}, make([]byte, 9)...), "", []byte(nil), uint8(framed))
	f.Add(append(binary.AppendUvarint([]byte{0}, 1<<62), make([]byte, 10)...), "", []byte(nil), uint8(framed))
	f.Add(append(binary.AppendUvarint([]byte{0}, 1<<62+1), make([]byte, 10)...), "", []byte(nil), uint8(framed))
	f.Add(append([]byte{0, 0x81, 0x00, 0}, make([]byte, 9)...), "", []byte(nil), uint8(framed))
	f.Add([]byte{1}, "", []byte(nil), uint8(framed))
	for _, how := range []uint8{framedBadCRC, framedShort, framedCut} {
		f.Add(payload, "", []byte(nil), how)
	}
	f.Fuzz(func(t *testing.T, b []byte, field string, body []byte, frame uint8) {
		if r, n, bodyAt, err := decodeRecord(b); err == nil {
			again, at := appendRecord(nil, &r)
			if !bytes.Equal(again, b[:n]) || at != bodyAt {
				t.Fatalf("decoded %+v from %x, which encodes to %x (body at %d, not %d)", r, b[:n], again, at, bodyAt)
			}
		}
		compareWithReference(t, b)
		if frame%frameKinds != unframed {
			compareWithReference(t, frameRecord(b, frame%frameKinds))
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

// How FuzzDecodeRecord frames its fuzzed bytes.
const (
	unframed     = iota // decoded as they are
	framed              // under a correct header, then a trailing byte
	framedBadCRC        // under a header whose CRC is off by one
	framedShort         // under a header claiming one byte more than follows
	framedCut           // under a correct header, the last byte cut
	frameKinds
)

// frameRecord puts payload under a record header as how says.
func frameRecord(payload []byte, how uint8) []byte {
	n := uint32(len(payload))
	crc := crc32.Checksum(payload, crc32.MakeTable(crc32.Castagnoli))
	switch how {
	case framedBadCRC:
		crc++
	case framedShort:
		n++
	}
	b := binary.LittleEndian.AppendUint32(nil, n)
	b = binary.LittleEndian.AppendUint32(b, crc)
	b = append(b, payload...)
	switch how {
	case framed:
		b = append(b, 0xee) // the next record's first byte
	case framedCut:
		b = b[:len(b)-1]
	}
	return b
}

// compareWithReference decodes b with decodeRecord and with
// referenceDecodeRecord and fails t if they disagree.
func compareWithReference(t *testing.T, b []byte) {
	t.Helper()
	got, n, bodyAt, err := decodeRecord(b)
	want, wantN, wantBodyAt, ok := referenceDecodeRecord(b)
	if (err == nil) != ok {
		t.Fatalf("decodeRecord(%x): error %v; the reference decodes it: %v", b, err, ok)
	}
	if !ok {
		return
	}
	if n != wantN || bodyAt != wantBodyAt || got.flags != want.flags || got.seq != want.seq ||
		got.acceptedAt != want.acceptedAt || got.fields != want.fields || !bytes.Equal(got.body, want.body) {
		t.Fatalf("decodeRecord(%x) = %+v, %d, %d; the reference reads %+v, %d, %d", b, got, n, bodyAt, want, wantN, wantBodyAt)
	}
}

// referenceDecodeRecord decodes the record at the start of b as record.go's
// description says, reading the payload as a stream: a little-endian u32
// length (1 to 2^30, all present) and CRC-32C, then flags, a uvarint seq
// (1 to 2^62), a varint time, nine length-prefixed strings and the body. It
// returns the record, its framed length, the body's offset and whether b
// starts with a whole, intact record.
func referenceDecodeRecord(b []byte) (r logRecord, n, bodyAt int, ok bool) {
	in := bytes.NewReader(b)
	var head struct{ Length, CRC uint32 }
	if binary.Read(in, binary.LittleEndian, &head) != nil {
		return r, 0, 0, false
	}
	if head.Length == 0 || head.Length > 1<<30 || int64(head.Length) > int64(in.Len()) {
		return r, 0, 0, false
	}
	payload := make([]byte, head.Length)
	if _, err := io.ReadFull(in, payload); err != nil {
		return r, 0, 0, false
	}
	if crc32.Checksum(payload, crc32.MakeTable(crc32.Castagnoli)) != head.CRC {
		return r, 0, 0, false
	}
	p := bytes.NewReader(payload)
	flags, err := p.ReadByte()
	if err != nil {
		return r, 0, 0, false
	}
	seq, err := binary.ReadUvarint(p)
	if err != nil || seq < 1 || seq > 1<<62 {
		return r, 0, 0, false
	}
	at, err := binary.ReadVarint(p)
	if err != nil {
		return r, 0, 0, false
	}
	r.flags, r.seq, r.acceptedAt = flags, int64(seq), at
	for i := range r.fields {
		l, err := binary.ReadUvarint(p)
		if err != nil || l > uint64(p.Len()) {
			return r, 0, 0, false
		}
		s := make([]byte, l)
		if _, err := io.ReadFull(p, s); err != nil {
			return r, 0, 0, false
		}
		r.fields[i] = string(s)
	}
	r.body, _ = io.ReadAll(p)
	n = 8 + int(head.Length)
	return r, n, n - len(r.body), true
}
