// Package metrics is the DIP's Prometheus metrics: a dip.Observer that
// counts intake by channel and code, group commits, deliveries and their
// latency, retries, dead letters and store latency, and a collector that
// reads each recipient's queue depth, oldest pending age and pause state
// from the hub when scraped. Handler serves them in the Prometheus text
// format (mhhs serve mounts it at /metrics).
//
// It is an adapter: it imports internal/dip and the Prometheus client
// library.
package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mhhs/mhhs/internal/dip"
)

// Metrics is the DIP's metrics: a dip.Observer and their registry.
type Metrics struct {
	reg *prometheus.Registry

	intake      *prometheus.CounterVec   // messages by channel and code
	commits     prometheus.Counter       // group commits
	committed   prometheus.Counter       // messages in them
	attempts    *prometheus.CounterVec   // delivery attempts by status
	latency     prometheus.Histogram     // acceptance to delivery
	deadLetters prometheus.Counter       // deliveries that exhausted their retries
	storeOps    *prometheus.HistogramVec // store operation latency by op
	storeErrors *prometheus.CounterVec   // failed store operations by op
}

var _ dip.Observer = (*Metrics)(nil)

// Source is what the scrape-time collector reads from the hub.
type Source interface {
	Queues(ctx context.Context) ([]dip.QueueStat, error)
	RecipientStates(ctx context.Context) ([]dip.RecipientState, error)
}

// New returns the metrics, with a collector reading queues and recipient
// states from src at each scrape (nil: none), plus the Go runtime's and
// the process's own metrics.
func New(src Source) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.intake = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mhhs_dip_intake_messages_total",
		Help: "Messages submitted to the DIP, by channel and answer code (MSG0000 accepted)."}, []string{"channel", "code"})
	m.commits = prometheus.NewCounter(prometheus.CounterOpts{Name: "mhhs_dip_group_commits_total", Help: "Group commits of accepted messages."})
	m.committed = prometheus.NewCounter(prometheus.CounterOpts{Name: "mhhs_dip_committed_messages_total", Help: "Messages in group commits."})
	m.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mhhs_dip_delivery_attempts_total",
		Help: "Delivery attempts by resulting status (Delivered, RejectedByRecipient, Retrying, RetriesExhausted)."}, []string{"status"})
	m.latency = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "mhhs_dip_delivery_latency_seconds",
		Help:    "From a message's acceptance to its delivery to a recipient.",
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}})
	m.deadLetters = prometheus.NewCounter(prometheus.CounterOpts{Name: "mhhs_dip_dead_letters_total",
		Help: "Deliveries that exhausted their retries (RetriesExhausted)."})
	m.storeOps = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mhhs_dip_store_seconds",
		Help:    "Store operation latency: accept (group commit), parties, claim, complete.",
		Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}}, []string{"op"})
	m.storeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mhhs_dip_store_errors_total",
		Help: "Failed store operations."}, []string{"op"})
	m.reg.MustRegister(m.intake, m.commits, m.committed, m.attempts, m.latency, m.deadLetters, m.storeOps, m.storeErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if src != nil {
		m.reg.MustRegister(&queueCollector{src: src})
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Submitted counts the answered messages by channel and code.
func (m *Metrics) Submitted(channel string, items []dip.Item) {
	for _, it := range items {
		m.intake.WithLabelValues(channel, string(it.Code)).Inc()
	}
}

// Committed counts a group commit.
func (m *Metrics) Committed(messages int, _ time.Duration) {
	m.commits.Inc()
	m.committed.Add(float64(messages))
}

// Attempted counts attempts by status and observes the latency of each
// delivery from its message's acceptance.
func (m *Metrics) Attempted(attempts []dip.Attempt, ds []dip.Delivery) {
	accepted := make(map[int64]time.Time, len(ds))
	for _, d := range ds {
		accepted[d.Seq] = d.AcceptedAt
	}
	for _, a := range attempts {
		m.attempts.WithLabelValues(string(a.Status)).Inc()
		switch a.Status {
		case dip.StatusDelivered:
			if at, ok := accepted[a.Seq]; ok && !at.IsZero() {
				m.latency.Observe(a.At.Add(a.Duration).Sub(at).Seconds())
			}
		case dip.StatusRetriesExhausted:
			m.deadLetters.Inc()
		}
	}
}

// StoreOp observes a store operation's latency and counts its failure.
func (m *Metrics) StoreOp(op string, took time.Duration, err error) {
	m.storeOps.WithLabelValues(op).Observe(took.Seconds())
	if err != nil {
		m.storeErrors.WithLabelValues(op).Inc()
	}
}

// queueCollector reads the recipients' queues and states at each scrape.
type queueCollector struct{ src Source }

var (
	queueDepth = prometheus.NewDesc("mhhs_dip_queue_messages", "Undelivered messages (Pending or Retrying) per recipient.", []string{"recipient"}, nil)
	queueAge   = prometheus.NewDesc("mhhs_dip_queue_oldest_seconds", "Age of the oldest undelivered message per recipient.", []string{"recipient"}, nil)
	paused     = prometheus.NewDesc("mhhs_dip_recipient_paused", "1 when delivery to the recipient is paused.", []string{"recipient"}, nil)
	failures   = prometheus.NewDesc("mhhs_dip_recipient_failures", "Consecutive failed deliveries to the recipient.", []string{"recipient"}, nil)
	scrapeErr  = prometheus.NewDesc("mhhs_dip_queue_scrape_error", "1 when the store could not be read for the queue metrics.", nil, nil)
)

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDepth
	ch <- queueAge
	ch <- paused
	ch <- failures
	ch <- scrapeErr
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	failed := 0.0
	qs, err := c.src.Queues(ctx)
	if err != nil {
		failed = 1
	}
	now := time.Now()
	for _, q := range qs {
		ch <- prometheus.MustNewConstMetric(queueDepth, prometheus.GaugeValue, float64(q.Pending), q.Recipient)
		age := 0.0
		if !q.Oldest.IsZero() {
			age = now.Sub(q.Oldest).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(queueAge, prometheus.GaugeValue, age, q.Recipient)
	}
	states, err := c.src.RecipientStates(ctx)
	if err != nil {
		failed = 1
	}
	for _, s := range states {
		p := 0.0
		if s.Paused {
			p = 1
		}
		ch <- prometheus.MustNewConstMetric(paused, prometheus.GaugeValue, p, s.Recipient)
		ch <- prometheus.MustNewConstMetric(failures, prometheus.GaugeValue, float64(s.ConsecutiveFailures), s.Recipient)
	}
	ch <- prometheus.MustNewConstMetric(scrapeErr, prometheus.GaugeValue, failed)
}
