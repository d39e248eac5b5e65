package metrics_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/metrics"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/sqlite"
)

// TestMetricsOfAHub runs a hub on SQLite with the metrics as its observer:
// an IF-021 is accepted and delivered to the MDS and LSS (in process),
// another is refused, and the LDSO has no webhook, so its copies wait.
// The scrape must say exactly that.
func TestMetricsOfAHub(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "mhhs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const sds, mds, lss, ldso = "1200000001", "1800000001", "1900000001", "2500000012"
	for id, role := range map[string]string{sds: "SDS", mds: "MDS", lss: "LSS", ldso: "LDSO"} {
		db.PutParticipant(ctx, dip.Participant{DIPID: id, Roles: []string{role}})
	}
	var hub *dip.Hub
	m := metrics.New(source{&hub})
	accept := participant.HandlerFunc(func(context.Context, []participant.Delivery) []catalogue.Code { return nil })
	hub = dip.NewHub(db, dip.Config{Observer: m, PollInterval: 5 * time.Millisecond,
		Services: []dip.LocalService{{DIPID: mds, Handler: accept}, {DIPID: lss, Handler: accept}}})
	done := make(chan struct{})
	go func() { hub.Run(ctx); close(done) }()
	defer func() { stop(); <-done }()

	c := catalogue.Default()
	v, _ := c.Variant("IF-021", "[ActivePower]")
	p, _ := c.Decode(c.Example(v, catalogue.ExampleOptions{SenderDIPID: sds, SenderRole: "SDS"}))
	p.Common().M0.DistributorDIPID = ldso
	good, _ := catalogue.Encode(p)
	p.Common().S1.SenderUniqueReference += "x"
	p.Common().M0.MPANCore = "1200023305960" // a wrong check digit: MSG2001
	bad, _ := catalogue.Encode(p)
	if _, err := hub.Sender(sds).Send(ctx, "IF-021", good, bad); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	scrape := func() string {
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	value := func(text, series string) float64 {
		re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
		m := re.FindStringSubmatch(text)
		if m == nil {
			return -1
		}
		f, _ := strconv.ParseFloat(m[1], 64)
		return f
	}
	deadline := time.Now().Add(10 * time.Second)
	var text string
	for {
		text = scrape()
		if value(text, `mhhs_dip_delivery_attempts_total{status="Delivered"}`) == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	for series, want := range map[string]float64{
		`mhhs_dip_intake_messages_total{channel="IF-021",code="MSG0000"}`: 1,
		`mhhs_dip_intake_messages_total{channel="IF-021",code="MSG2001"}`: 1,
		`mhhs_dip_group_commits_total`:                                    1,
		`mhhs_dip_committed_messages_total`:                               1,
		`mhhs_dip_delivery_attempts_total{status="Delivered"}`:            2,
		`mhhs_dip_delivery_latency_seconds_count`:                         2,
		`mhhs_dip_queue_messages{recipient="2500000012"}`:                 1,
		`mhhs_dip_queue_scrape_error`:                                     0,
		`mhhs_dip_store_errors_total{op="accept"}`:                        -1, // never failed: no series
	} {
		if got := value(text, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if age := value(text, `mhhs_dip_queue_oldest_seconds{recipient="2500000012"}`); age < 0 || age > 60 {
		t.Errorf("oldest pending age %v s", age)
	}
	if n := value(text, `mhhs_dip_store_seconds_count{op="claim"}`); n < 1 {
		t.Errorf("no claim latency observed: %v", n)
	}
	if t.Failed() {
		fmt.Println(text)
	}
}

type source struct{ h **dip.Hub }

func (s source) Queues(ctx context.Context) ([]dip.QueueStat, error) { return (*s.h).Queues(ctx) }
func (s source) RecipientStates(ctx context.Context) ([]dip.RecipientState, error) {
	return (*s.h).RecipientStates(ctx)
}
