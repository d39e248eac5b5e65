package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
)

// isdVersion is one entry of GET /isd/versions.
type isdVersion struct {
	Version                int               `json:"version"`
	Created                string            `json:"created"`
	Note                   string            `json:"note"`
	Published              *string           `json:"published"` // null until announced by IF-047
	PublishedTransactionID *string           `json:"publishedTransactionID"`
	Assets                 map[string]string `json:"assets"` // format -> path
}

// isdCacheVersions bounds the versions whose encoded assets are kept. A
// version's assets never change, so a publication that every participant
// downloads at once decodes and encodes the version once.
const isdCacheVersions = 4

// isdDownloads serves the ISD assets from the store, caching the encoded
// assets of recent versions.
type isdDownloads struct {
	s     *Server
	mu    sync.Mutex
	cache map[int]*isdEntry // by version number
	order []int             // cached versions, oldest first
}

type isdEntry struct {
	ready   chan struct{} // closed once the assets or err are set
	created time.Time
	assets  map[string][]byte
	err     error
}

// isdRoutes registers the public ISD downloads.
func (s *Server) isdRoutes() {
	d := &isdDownloads{s: s, cache: map[int]*isdEntry{}}
	s.mux.HandleFunc("GET /isd/versions", d.versions)
	s.mux.HandleFunc("GET /isd/versions/{n}/{file}", d.asset)
}

func (d *isdDownloads) versions(w http.ResponseWriter, r *http.Request) {
	vs, err := d.s.cfg.ISD.Versions(r.Context())
	if err != nil {
		d.writeError(w, r, err)
		return
	}
	out := make([]isdVersion, len(vs))
	for i, v := range vs {
		out[i] = isdVersion{Version: v.Number, Created: market.FormatDateTime(v.Created), Note: v.Note,
			Assets: map[string]string{"json": isd.AssetPath(v.Number, isd.AssetJSON), "csv": isd.AssetPath(v.Number, isd.AssetCSVZip)}}
		if !v.Published.IsZero() {
			at, tx := market.FormatDateTime(v.Published), v.PublishedTransactionID
			out[i].Published, out[i].PublishedTransactionID = &at, &tx
		}
	}
	d.s.writeJSON(w, http.StatusOK, out)
}

func (d *isdDownloads) asset(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("n"))
	file := r.PathValue("file")
	if err != nil || n < 1 || (file != isd.AssetJSON && file != isd.AssetCSVZip) {
		http.NotFound(w, r)
		return
	}
	e, err := d.entry(r.Context(), n)
	if err != nil {
		d.writeError(w, r, err)
		return
	}
	body := e.assets[file]
	sum := sha256.Sum256(body)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="isd-v%d-%s"`, n, file))
	if file == isd.AssetJSON {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "application/zip")
	}
	http.ServeContent(w, r, file, e.created, bytes.NewReader(body))
}

// entry returns the encoded assets of version n, building them once.
func (d *isdDownloads) entry(ctx context.Context, n int) (*isdEntry, error) {
	d.mu.Lock()
	e, ok := d.cache[n]
	if ok {
		d.mu.Unlock()
		select {
		case <-e.ready:
			return e, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e = &isdEntry{ready: make(chan struct{})}
	d.cache[n] = e
	d.order = append(d.order, n)
	if len(d.order) > isdCacheVersions {
		delete(d.cache, d.order[0])
		d.order = d.order[1:]
	}
	d.mu.Unlock()

	e.err = d.build(context.WithoutCancel(ctx), n, e)
	close(e.ready)
	if e.err != nil { // not cached: the next request tries again
		d.mu.Lock()
		if d.cache[n] == e {
			delete(d.cache, n)
			d.order = slices.DeleteFunc(d.order, func(m int) bool { return m == n })
		}
		d.mu.Unlock()
	}
	return e, e.err
}

func (d *isdDownloads) build(ctx context.Context, n int, e *isdEntry) error {
	v, err := d.s.cfg.ISD.Version(ctx, n)
	if err != nil {
		return err
	}
	e.created, e.assets = v.Created, map[string][]byte{}
	for _, name := range []string{isd.AssetJSON, isd.AssetCSVZip} {
		if e.assets[name], err = isd.Asset(v, name); err != nil {
			return err
		}
	}
	return nil
}

// writeError answers a failed download: 404 for a version the store does
// not have, else 500 with the cause logged, not shown.
func (d *isdDownloads) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, isd.ErrNoVersion) {
		http.Error(w, "no such ISD version", http.StatusNotFound)
		return
	}
	d.s.cfg.Logger.Error("ISD download failed", "method", r.Method, "path", r.URL.Path, "err", err)
	http.Error(w, "the standing data could not be read", http.StatusInternalServerError)
}
