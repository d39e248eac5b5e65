package sqlite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/s2"
)

// bodyLog is the intake log: an append-only log of segment files beside the
// database, which holds every accepted message as a framed record
// (record.go) with its body. A group commit writes its records with one
// write and makes them durable with one fdatasync, and is answered then;
// SQLite is an index of the log, written behind it (intake.go), and rebuilt
// from it after a crash. Keeping bodies out of SQLite's B-tree matters on
// its own: 5 KB bodies in the B-tree cost a page write per 4 KB in the WAL
// and dominated commit time (BENCHMARKS.md).
//
// One writer goroutine does the writes (writeLoop): it takes every write
// queued while it was busy, writes them and makes them durable with one
// fdatasync, so that the group commits of several committers share a sync
// and the next ones are framed while it runs.
type bodyLog struct {
	fs      LogFS
	dir     string
	maxSize int64

	// The writer's own: the segment it writes. Recovery uses them before
	// the writer starts; size, cur's end then, is where the first
	// reservation goes (resSize tracks the end from there on).
	cur    LogFile
	id     int64
	size   int64
	format segFormat // of cur

	mu      sync.Mutex
	wake    *sync.Cond  // on mu: the queue grew, or stopping
	queue   []*logWrite // reserved, not yet taken by the writer
	resID   int64       // where the next reservation goes
	resSize int64
	err     error // sticky: a write or sync failed
	stop    bool
	stopped chan struct{} // closed when the writer has returned; nil before it starts

	rmu     sync.RWMutex
	readers map[int64]segReader

	stats struct {
		rounds, writes, nanos atomic.Int64
		hist                  [RoundBuckets]atomic.Int64 // rounds by duration (RoundBucket)
	}
}

// Log rounds are counted by duration in buckets of RoundBucket; the last
// bucket holds every round of RoundBuckets-1 buckets or longer. The
// percentiles of a round's time are the disk's share of intake latency
// (BenchmarkIntake reports them).
const (
	RoundBucket  = 100 * time.Microsecond
	RoundBuckets = 256
)

// RoundPercentile returns the q-quantile (0 < q ≤ 1) of the rounds counted
// in hist, as the upper bound of its bucket; 0 when hist is empty.
func RoundPercentile(hist [RoundBuckets]int64, q float64) time.Duration {
	var n int64
	for _, c := range hist {
		n += c
	}
	if n == 0 {
		return 0
	}
	rank := int64(q*float64(n) + 0.5)
	var seen int64
	for i, c := range hist {
		if seen += c; seen >= rank {
			return time.Duration(i+1) * RoundBucket
		}
	}
	return RoundBuckets * RoundBucket
}

// logWrite is a write reserved in the log: its place is fixed when it is
// reserved, and then is called on the writer when its round is durable (or
// failed).
type logWrite struct {
	seg, start int64
	buf        []byte
	then       func(seg, start int64, err error)
}

const segmentSize = 256 << 20

// segFormat is what a segment holds (record.go).
type segFormat uint8

const (
	segBare       segFormat = iota // bare bodies, no magic (before migration 0004)
	segPlain                       // records, bodies as received (logMagicPlain)
	segCompressed                  // records, S2-compressed bodies (logMagic): what is written now
)

// segmentFormat reads the format of the segment f from its head.
func segmentFormat(f LogFile) (segFormat, error) {
	var head [len(logMagic)]byte
	n, err := f.ReadAt(head[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return segBare, err
	}
	return formatOf(head[:n]), nil
}

// formatOf gives the format of a segment that starts with data.
func formatOf(data []byte) segFormat {
	switch {
	case bytes.HasPrefix(data, []byte(logMagic)):
		return segCompressed
	case bytes.HasPrefix(data, []byte(logMagicPlain)):
		return segPlain
	}
	return segBare
}

// segReader reads the bodies of a segment.
type segReader struct {
	f          LogFile
	compressed bool
}

func segmentName(dir string, id int64) string {
	return filepath.Join(dir, fmt.Sprintf("seg-%08d.log", id))
}

// openBodyLog opens the newest segment of the log in dir on fsys (creating
// the first) for appending at its end. A new segment is compressed;
// recovery (DB.recoverIntake) cuts what follows the last intact record and
// starts a compressed segment after a segment of another format.
func openBodyLog(fsys LogFS, dir string) (*bodyLog, error) {
	if err := fsys.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	l := &bodyLog{fs: fsys, dir: dir, maxSize: segmentSize, readers: map[int64]segReader{}, id: 1}
	ids, err := l.segments()
	if err != nil {
		return nil, err
	}
	if len(ids) > 0 {
		l.id = ids[len(ids)-1]
	}
	f, err := fsys.OpenFile(segmentName(dir, l.id), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	l.cur = f
	if len(ids) == 0 { // a new segment: make its directory entry durable
		if err := fsys.SyncDir(dir); err != nil {
			f.Close()
			return nil, err
		}
	}
	if l.size, err = f.Size(); err != nil {
		f.Close()
		return nil, err
	}
	if l.format, err = segmentFormat(f); err != nil {
		f.Close()
		return nil, err
	}
	if l.format == segBare && l.size < int64(len(logMagic)) {
		// Empty, or a segment whose header write did not complete.
		if err := l.truncate(0); err != nil {
			f.Close()
			return nil, err
		}
	}
	return l, nil
}

// truncate cuts the current segment to end bytes; a segment cut to nothing
// is restarted as a compressed one. Recovery only: before the writer starts.
func (l *bodyLog) truncate(end int64) error {
	if err := l.cur.Truncate(end); err != nil {
		return err
	}
	l.size = end
	if end == 0 {
		if _, err := l.cur.WriteAt([]byte(logMagic), 0); err != nil {
			return err
		}
		l.size, l.format = int64(len(logMagic)), segCompressed
	}
	return nil
}

// startCompressed makes sure appends go to a compressed segment: after a
// segment of another format, a new segment starts. Recovery only: before
// the writer starts.
func (l *bodyLog) startCompressed() error {
	if l.format == segCompressed {
		return nil
	}
	return l.rotate()
}

func (l *bodyLog) segments() ([]int64, error) {
	names, err := l.fs.ReadDir(l.dir)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, n := range names {
		if ok, _ := filepath.Match("seg-*.log", n); !ok {
			continue
		}
		id, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(n, "seg-"), ".log"), 10, 64)
		if err == nil {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

// bodyRef locates a body.
type bodyRef struct {
	seg, off, n int64
}

// startWriter starts the writer after recovery, appending at the end of
// the current segment.
func (l *bodyLog) startWriter() {
	l.wake = sync.NewCond(&l.mu)
	l.resID, l.resSize = l.id, l.size
	l.stopped = make(chan struct{})
	go l.writeLoop()
}

// reserve queues buf (framed records) for the writer at the end of the log,
// at a place (segment, start) fixed now: the log holds writes in the order
// they were reserved. then is called on the writer, in that order, with that
// place, when the write is durable or has failed; it must not block.
func (l *bodyLog) reserve(buf []byte, then func(seg, start int64, err error)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.resSize > int64(len(logMagic)) && l.resSize+int64(len(buf)) > l.maxSize {
		l.resID, l.resSize = l.resID+1, int64(len(logMagic))
	}
	w := &logWrite{seg: l.resID, start: l.resSize, buf: buf, then: then}
	l.resSize += int64(len(buf))
	l.queue = append(l.queue, w)
	l.wake.Signal()
}

// writeLoop writes what is queued, in order, a sync per round: a round
// carries every write reserved while the one before it ran.
func (l *bodyLog) writeLoop() {
	defer close(l.stopped)
	for {
		l.mu.Lock()
		for len(l.queue) == 0 && !l.stop {
			l.wake.Wait()
		}
		ws := l.queue
		l.queue = nil
		err := l.err
		l.mu.Unlock()
		if len(ws) == 0 {
			return // stopping, and nothing is left
		}
		if err == nil {
			start := time.Now()
			err = l.flush(ws)
			took := time.Since(start)
			l.stats.writes.Add(int64(len(ws)))
			l.stats.nanos.Add(int64(took))
			l.stats.hist[min(int(took/RoundBucket), RoundBuckets-1)].Add(1)
		}
		if err != nil {
			l.mu.Lock()
			l.err = err
			l.mu.Unlock()
		}
		for _, w := range ws {
			w.then(w.seg, w.start, err)
		}
	}
}

// flush writes ws and makes them durable. A write that starts a new
// segment first makes the current one durable, so the log is never intact
// in a segment after one that is torn.
func (l *bodyLog) flush(ws []*logWrite) error {
	for _, w := range ws {
		if w.seg != l.id {
			if err := l.cur.Datasync(); err != nil {
				return err
			}
			if err := l.rotate(); err != nil {
				return err
			}
		}
		if _, err := l.cur.WriteAt(w.buf, w.start); err != nil {
			return err
		}
	}
	return l.cur.Datasync()
}

// rotate starts the next segment, compressed.
func (l *bodyLog) rotate() error {
	f, err := l.fs.OpenFile(segmentName(l.dir, l.id+1), os.O_CREATE|os.O_RDWR|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		f.Close()
		return err
	}
	// The header becomes durable with the segment's first fdatasync; a
	// segment whose header is incomplete is restarted on open.
	if _, err := f.WriteAt([]byte(logMagic), 0); err != nil {
		f.Close()
		return err
	}
	l.cur.Close()
	l.cur, l.id, l.size, l.format = f, l.id+1, int64(len(logMagic)), segCompressed
	return nil
}

// read returns a body, decompressed.
func (l *bodyLog) read(r bodyRef) ([]byte, error) {
	sr, err := l.reader(r.seg)
	if err != nil {
		return nil, err
	}
	b := make([]byte, r.n)
	if _, err := sr.f.ReadAt(b, r.off); err != nil {
		return nil, fmt.Errorf("sqlite: body at segment %d offset %d: %w", r.seg, r.off, err)
	}
	if !sr.compressed {
		return b, nil
	}
	body, err := s2.Decode(nil, b)
	if err != nil {
		return nil, fmt.Errorf("sqlite: body at segment %d offset %d: %w", r.seg, r.off, err)
	}
	return body, nil
}

func (l *bodyLog) reader(seg int64) (segReader, error) {
	l.rmu.RLock()
	sr, ok := l.readers[seg]
	l.rmu.RUnlock()
	if ok {
		return sr, nil
	}
	l.rmu.Lock()
	defer l.rmu.Unlock()
	if sr, ok := l.readers[seg]; ok {
		return sr, nil
	}
	f, err := l.fs.OpenFile(segmentName(l.dir, seg), os.O_RDONLY, 0)
	if err != nil {
		return segReader{}, err
	}
	format, err := segmentFormat(f)
	if err != nil {
		f.Close()
		return segReader{}, err
	}
	sr = segReader{f: f, compressed: format == segCompressed}
	l.readers[seg] = sr
	return sr, nil
}

// removeBelow deletes the segments older than oldest and than the current
// one (after a purge: oldest is the segment of the oldest message left).
func (l *bodyLog) removeBelow(oldest int64) error {
	ids, err := l.segments()
	if err != nil {
		return err
	}
	l.mu.Lock()
	cur := l.resID // the writer is at this segment or before it
	l.mu.Unlock()
	for _, id := range ids {
		if id >= cur || id >= oldest {
			continue
		}
		l.rmu.Lock()
		if sr, ok := l.readers[id]; ok {
			sr.f.Close()
			delete(l.readers, id)
		}
		l.rmu.Unlock()
		if err := l.fs.Remove(segmentName(l.dir, id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

func (l *bodyLog) close() error {
	l.rmu.Lock()
	for _, sr := range l.readers {
		sr.f.Close()
	}
	l.rmu.Unlock()
	if l.stopped != nil {
		l.mu.Lock()
		l.stop = true
		l.wake.Signal()
		l.mu.Unlock()
		<-l.stopped
	}
	if l.cur == nil { // opened by a process without intake
		return nil
	}
	return l.cur.Close()
}
