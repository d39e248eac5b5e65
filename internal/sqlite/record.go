package sqlite

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
)

// The intake log (intake.go) frames each accepted message as a record, so
// that the log alone can rebuild what the index lost in a crash. A segment
// starts with a magic that gives its format:
//
//   - logMagic: framed records whose bodies are S2-compressed (S2 block
//     format, github.com/klauspost/compress/s2). Every segment written now.
//   - logMagicPlain: framed records with bodies as received (sessions before
//     compression); read as they are.
//   - no magic: bare bodies, written before migration 0004.
//
// Compression takes an IF-021 body of 4.9 KB to 1.2 KB, so that a group
// commit's fdatasync carries a quarter of the bytes; it costs about 3.5 µs a
// body to compress and 4 µs to decompress (BenchmarkBodyCompression,
// BENCHMARKS.md).
//
//	record  = length u32 | crc32c(payload) u32 | payload      (little-endian)
//	payload = flags u8 | seq uvarint | accepted_at varint
//	          | 9 × (length uvarint | bytes): transaction_id, channel,
//	            event_code, sender, sender_role, sur, correlation_id, mpan,
//	            recipients (the JSON of dip.EncodeRecipients)
//	          | body (the rest)
//
// A message's body reference (segment, offset, length) points at the body
// bytes inside its record (compressed, in a compressed segment).
const (
	logMagic      = "\x00MHHSLG2"
	logMagicPlain = "\x00MHHSLG1"
	recordHead    = 8
	// recordSync marks a record of a group commit that was answered only
	// after it was indexed (it carried a registration update, whose effect
	// the log cannot replay): recovery cuts the log before such a record
	// if it was not indexed, since its commit was never answered.
	recordSync = 1 << 0
	// maxRecord bounds a record's declared length: a corrupt length must
	// not make recovery allocate without bound. Bodies are bounded far
	// below this by the API's --max-body.
	maxRecord = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// logRecord is an accepted message as the intake log holds it.
type logRecord struct {
	flags      byte
	seq        int64
	acceptedAt int64 // Unix µs
	fields     [nFields]string
	body       []byte
}

// The string fields of a record, in order.
const (
	fTransactionID = iota
	fChannel
	fEventCode
	fSender
	fSenderRole
	fSUR
	fCorrelationID
	fMPAN
	fRecipients
	nFields
)

// appendRecord appends r framed to buf and returns the result and the
// offset of the body within it.
func appendRecord(buf []byte, r *logRecord) ([]byte, int) {
	start := len(buf)
	buf = append(buf, make([]byte, recordHead)...)
	buf = append(buf, r.flags)
	buf = binary.AppendUvarint(buf, uint64(r.seq))
	buf = binary.AppendVarint(buf, r.acceptedAt)
	for _, f := range r.fields {
		buf = binary.AppendUvarint(buf, uint64(len(f)))
		buf = append(buf, f...)
	}
	bodyAt := len(buf)
	buf = append(buf, r.body...)
	payload := buf[start+recordHead:]
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(payload, castagnoli))
	return buf, bodyAt
}

// errTorn reports bytes that are not a whole, intact record: the tail of a
// write that did not complete, or damage.
var errTorn = errors.New("sqlite: torn or damaged intake log record")

// decodeRecord decodes the record at the start of b. It returns the record
// (whose body aliases b), the record's framed length and the offset of its
// body; errTorn when b does not start with a whole, intact record.
func decodeRecord(b []byte) (logRecord, int, int, error) {
	var r logRecord
	if len(b) < recordHead {
		return r, 0, 0, errTorn
	}
	n := binary.LittleEndian.Uint32(b)
	if n == 0 || n > maxRecord || uint64(len(b)-recordHead) < uint64(n) {
		return r, 0, 0, errTorn
	}
	payload := b[recordHead : recordHead+int(n)]
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return r, 0, 0, errTorn
	}
	p := payload
	r.flags, p = p[0], p[1:]
	seq, k := binary.Uvarint(p)
	if k <= 0 || seq == 0 || seq > 1<<62 {
		return r, 0, 0, errTorn
	}
	r.seq, p = int64(seq), p[k:]
	at, k := binary.Varint(p)
	if k <= 0 {
		return r, 0, 0, errTorn
	}
	r.acceptedAt, p = at, p[k:]
	for i := range r.fields {
		l, k := binary.Uvarint(p)
		if k <= 0 || l > uint64(len(p)-k) {
			return r, 0, 0, errTorn
		}
		r.fields[i], p = string(p[k:k+int(l)]), p[k+int(l):]
	}
	r.body = p
	return r, recordHead + int(n), recordHead + int(n) - len(p), nil
}
