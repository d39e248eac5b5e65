// Package archive is the DIP's archive of purged messages on the file
// system (dip.Archiver): a directory of zstd-compressed JSON lines, one file
// per UTC day of acceptance, DIR/2006-01-02.jsonl.zst, each line a message
// with its journal (dip.ArchiveLine). It imports the dip domain package
// and github.com/klauspost/compress/zstd.
//
// A file is a sequence of parts, appended by purge rounds: a part is a zstd
// skippable frame of 8 bytes (the length of the frame that follows and its
// CRC-32) then one zstd frame of whole lines. Standard tools read a file as
// one stream, skipping the skippable frames: zstd -dc FILE | jq. A purge
// crash may leave a message's line twice (readers keep the last line of a
// transaction id) and a torn part at a file's end, which the next append
// cuts off: it was never the only copy of anything, as the store deletes a
// message only after its part is durable.
package archive

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/mhhs/mhhs/internal/dip"
)

const (
	// partMagic is the first of zstd's skippable frame magic numbers.
	partMagic = 0x184D2A50
	// headerLen is a part's skippable frame: magic, size (8), frame
	// length, frame CRC-32, each 4 bytes little-endian.
	headerLen = 16
	// frameTarget is the uncompressed size at which a part is cut: the
	// journal of an archived message decompresses one part.
	frameTarget = 4 << 20
	// maxFrame is the largest part frame read back (a single line may
	// pass frameTarget: a body of up to 32 MB, base64).
	maxFrame = 256 << 20
)

// Suffix ends the name of every day file.
const Suffix = ".jsonl.zst"

// FileName is the name of day's file in an archive directory.
func FileName(day time.Time) string { return day.UTC().Format(time.DateOnly) + Suffix }

// Dir is an archive directory. It is created on the first write.
type Dir struct {
	path string
	mu   sync.Mutex // one append at a time in this process
	enc  *zstd.Encoder
	dec  *zstd.Decoder
}

var _ dip.Archiver = (*Dir)(nil)

// Open returns the archive in directory path.
func Open(path string) (*Dir, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxFrame))
	if err != nil {
		return nil, err
	}
	return &Dir{path: path, enc: enc, dec: dec}, nil
}

// Path is the archive's directory.
func (d *Dir) Path() string { return d.path }

// Close releases the compressor and decompressor.
func (d *Dir) Close() error {
	d.dec.Close()
	return d.enc.Close()
}

// Write appends msgs to their days' files, a part per 4 MB of lines, and
// returns once each file and the directory are synced.
func (d *Dir) Write(ctx context.Context, msgs []dip.ArchivedMessage) ([]dip.ArchiveLocation, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]dip.ArchiveLocation, len(msgs))
	byDay := map[time.Time][]int{}
	var days []time.Time
	for i, m := range msgs {
		day := dip.ArchiveDay(m.AcceptedAt)
		if _, ok := byDay[day]; !ok {
			days = append(days, day)
		}
		byDay[day] = append(byDay[day], i)
	}
	if err := d.mkdir(); err != nil {
		return nil, err
	}
	for _, day := range days {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := d.appendDay(day, msgs, byDay[day], out); err != nil {
			return nil, fmt.Errorf("%s: %w", FileName(day), err)
		}
	}
	return out, nil
}

// mkdir creates the directory, durably, if it is not there.
func (d *Dir) mkdir() error {
	if _, err := os.Stat(d.path); err == nil {
		return nil
	}
	if err := os.MkdirAll(d.path, 0o700); err != nil {
		return err
	}
	return syncDir(filepath.Dir(d.path))
}

// appendDay appends the messages at idx to day's file, recording their
// locations in out.
func (d *Dir) appendDay(day time.Time, msgs []dip.ArchivedMessage, idx []int, out []dip.ArchiveLocation) error {
	name := filepath.Join(d.path, FileName(day))
	_, statErr := os.Stat(name)
	created := errors.Is(statErr, os.ErrNotExist)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		return err
	}
	defer unlockFile(f)
	size, err := repairTail(f)
	if err != nil {
		return err
	}
	var buf, raw []byte
	var in []int
	cut := func() {
		if len(in) == 0 {
			return
		}
		frame := d.enc.EncodeAll(raw, nil)
		loc := dip.ArchiveLocation{Day: day, Offset: size + int64(len(buf))}
		buf = appendHeader(buf, frame)
		buf = append(buf, frame...)
		for _, i := range in {
			out[i] = loc
		}
		raw, in = raw[:0], in[:0]
	}
	for _, i := range idx {
		line, err := dip.ArchiveLine(msgs[i])
		if err != nil {
			return fmt.Errorf("message %s: %w", msgs[i].TransactionID, err)
		}
		if len(raw) > 0 && len(raw)+len(line) > frameTarget {
			cut()
		}
		raw, in = append(raw, line...), append(in, i)
	}
	cut()
	if _, err := f.WriteAt(buf, size); err != nil {
		f.Truncate(size) // best effort; the next append cuts a torn part off anyway
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if created {
		return syncDir(d.path)
	}
	return nil
}

// appendHeader appends the skippable frame that announces frame.
func appendHeader(b, frame []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, partMagic)
	b = binary.LittleEndian.AppendUint32(b, 8)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(frame)))
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(frame))
}

// part is a part's place in a file: its offset and its frame's length and
// CRC-32.
type part struct {
	off int64
	n   uint32
	crc uint32
}

// errTorn reports a file that ends in an incomplete part at offset off.
type errTorn struct{ off int64 }

func (e errTorn) Error() string {
	return fmt.Sprintf("a torn part at offset %d (a write cut short)", e.off)
}

// parts walks the part headers of r, of size bytes. It returns the whole
// parts, then errTorn when the file ends inside a part, or another error
// when what follows a part is not a part header.
func parts(r io.ReaderAt, size int64) ([]part, error) {
	var out []part
	var h [headerLen]byte
	for off := int64(0); off < size; {
		if size-off < headerLen {
			return out, errTorn{off}
		}
		if _, err := r.ReadAt(h[:], off); err != nil {
			return out, err
		}
		if binary.LittleEndian.Uint32(h[0:]) != partMagic || binary.LittleEndian.Uint32(h[4:]) != 8 {
			return out, fmt.Errorf("archive: no part header at offset %d: not an archive file, or damaged", off)
		}
		p := part{off: off, n: binary.LittleEndian.Uint32(h[8:]), crc: binary.LittleEndian.Uint32(h[12:])}
		if int64(p.n) > size-off-headerLen {
			return out, errTorn{off}
		}
		out = append(out, p)
		off += headerLen + int64(p.n)
	}
	return out, nil
}

// frame reads and checks part p's frame.
func (p part) frame(r io.ReaderAt) ([]byte, error) {
	if p.n > maxFrame {
		return nil, fmt.Errorf("archive: part at offset %d of %d bytes, over the %d a reader takes", p.off, p.n, maxFrame)
	}
	b := make([]byte, p.n)
	if _, err := r.ReadAt(b, p.off+headerLen); err != nil {
		return nil, err
	}
	if crc32.ChecksumIEEE(b) != p.crc {
		return nil, fmt.Errorf("archive: part at offset %d fails its CRC", p.off)
	}
	return b, nil
}

// repairTail returns where the whole parts of f end, cutting off a torn
// part after them (a write cut short by a crash, never the only copy of
// its messages). The last part's CRC is checked too: a crash may leave a
// part at its full length before all of it reached the disk.
func repairTail(f *os.File) (int64, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	ps, err := parts(f, st.Size())
	end := int64(0)
	if len(ps) > 0 {
		last := ps[len(ps)-1]
		end = last.off + headerLen + int64(last.n)
		if _, cerr := last.frame(f); cerr != nil && err == nil {
			err, end = errTorn{last.off}, last.off
		}
	}
	var torn errTorn
	switch {
	case errors.As(err, &torn):
		if err := f.Truncate(torn.off); err != nil {
			return 0, err
		}
		return torn.off, f.Sync()
	case err != nil:
		return 0, err
	}
	return end, nil
}

// Read returns the message of sender's reference in the part at loc: its
// last line there.
func (d *Dir) Read(ctx context.Context, loc dip.ArchiveLocation, sender, sur string) (dip.ArchivedMessage, error) {
	f, err := os.Open(filepath.Join(d.path, FileName(loc.Day)))
	if err != nil {
		return dip.ArchivedMessage{}, err
	}
	defer f.Close()
	var h [headerLen]byte
	if _, err := f.ReadAt(h[:], loc.Offset); err != nil {
		return dip.ArchivedMessage{}, fmt.Errorf("archive: part at offset %d: %w", loc.Offset, err)
	}
	if binary.LittleEndian.Uint32(h[0:]) != partMagic || binary.LittleEndian.Uint32(h[4:]) != 8 {
		return dip.ArchivedMessage{}, fmt.Errorf("archive: no part at offset %d", loc.Offset)
	}
	p := part{off: loc.Offset, n: binary.LittleEndian.Uint32(h[8:]), crc: binary.LittleEndian.Uint32(h[12:])}
	lines, err := d.decode(f, p)
	if err != nil {
		return dip.ArchivedMessage{}, err
	}
	var found *dip.ArchivedMessage
	needle := []byte(sur)
	for len(lines) > 0 {
		line := lines
		if i := bytes.IndexByte(lines, '\n'); i >= 0 {
			line, lines = lines[:i], lines[i+1:]
		} else {
			lines = nil
		}
		if !bytes.Contains(line, needle) {
			continue
		}
		m, err := dip.ParseArchiveLine(line)
		if err != nil {
			return dip.ArchivedMessage{}, err
		}
		if m.Sender == sender && m.SenderUniqueReference == sur {
			found = &m
		}
	}
	if found == nil {
		return dip.ArchivedMessage{}, dip.ErrNotFound
	}
	return *found, nil
}

// decode returns the lines of part p.
func (d *Dir) decode(r io.ReaderAt, p part) ([]byte, error) {
	frame, err := p.frame(r)
	if err != nil {
		return nil, err
	}
	lines, err := d.dec.DecodeAll(frame, nil)
	if err != nil {
		return nil, fmt.Errorf("archive: part at offset %d: %w", p.off, err)
	}
	return lines, nil
}

// Days returns the days the archive has a file for, oldest first.
func (d *Dir) Days() ([]time.Time, error) {
	ents, err := os.ReadDir(d.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []time.Time
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), Suffix)
		if !ok || e.IsDir() {
			continue
		}
		if day, err := time.Parse(time.DateOnly, name); err == nil {
			out = append(out, day)
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out, nil
}

// Scan calls fn with every line of day's file in order, each with the
// location of its part: every copy of a message written twice (keep the
// last of a transaction id, as Messages does). A torn part at the end (a
// write cut short) ends the scan with an error after the whole parts.
func (d *Dir) Scan(ctx context.Context, day time.Time, fn func(dip.ArchivedMessage, dip.ArchiveLocation) error) error {
	f, err := os.Open(filepath.Join(d.path, FileName(day)))
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return d.scan(ctx, f, st.Size(), day, fn)
}

// scan is Scan over r, size bytes.
func (d *Dir) scan(ctx context.Context, r io.ReaderAt, size int64, day time.Time, fn func(dip.ArchivedMessage, dip.ArchiveLocation) error) error {
	ps, walkErr := parts(r, size)
	for _, p := range ps {
		if err := ctx.Err(); err != nil {
			return err
		}
		lines, err := d.decode(r, p)
		if err != nil {
			return err
		}
		for n := 1; len(lines) > 0; n++ {
			line := lines
			if i := bytes.IndexByte(lines, '\n'); i >= 0 {
				line, lines = lines[:i], lines[i+1:]
			} else {
				lines = nil
			}
			m, err := dip.ParseArchiveLine(line)
			if err != nil {
				return fmt.Errorf("archive: part at offset %d, line %d: %w", p.off, n, err)
			}
			if err := fn(m, dip.ArchiveLocation{Day: day, Offset: p.off}); err != nil {
				return err
			}
		}
	}
	return walkErr
}

// Messages returns the messages of day's file, each once (the last line of
// its transaction id, where a purge wrote it twice), in the order of their
// last lines.
func (d *Dir) Messages(ctx context.Context, day time.Time) ([]dip.ArchivedMessage, error) {
	var all []dip.ArchivedMessage
	last := map[string]int{}
	err := d.Scan(ctx, day, func(m dip.ArchivedMessage, _ dip.ArchiveLocation) error {
		last[m.TransactionID] = len(all)
		all = append(all, m)
		return nil
	})
	out := all[:0]
	for i, m := range all {
		if last[m.TransactionID] == i {
			out = append(out, m)
		}
	}
	return out, err
}

// syncDir makes a directory's entries durable.
func syncDir(path string) error {
	d, err := os.Open(path)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
