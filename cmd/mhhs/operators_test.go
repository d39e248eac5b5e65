package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestServeLogsJSONAndServesMetrics: with --log-format json every log line
// is one JSON object, a submission is logged with its counts and a refused
// message with its code; /metrics answers in the Prometheus text format
// with the intake by channel and code.
func TestServeLogsJSONAndServesMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("boots mhhs serve and generates RSA keys")
	}
	data := t.TempDir()
	h := startDIP(t, data, "--log-format", "json")
	sds := addParty(t, data, h.url, sdsID, "SDS")
	addParty(t, data, h.url, mdsID, "MDS")
	ctx := context.Background()
	if r, err := sds.client.Send(ctx, "IF-021", if021(t, 1)); err != nil || r.Status != 201 {
		t.Fatalf("IF-021: %v %v", r, err)
	}
	bad := strings.Replace(string(if021(t, 2)), `"environmentTag":"PRD"`, `"environmentTag":"XXX"`, 1)
	if r, err := sds.client.Send(ctx, "IF-021", []byte(bad)); err != nil || r.Status != 400 {
		t.Fatalf("bad IF-021: %v %v", r, err)
	}
	resp, err := http.Get(h.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`mhhs_dip_intake_messages_total{channel="IF-021",code="MSG0000"} 1`,
		`mhhs_dip_intake_messages_total{channel="IF-021",code="MSG1001"} 1`, "# TYPE mhhs_dip_delivery_latency_seconds histogram"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	var submitted, refused bool
	for _, line := range strings.Split(strings.TrimSpace(h.stderr.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		switch rec["msg"] {
		case "messages submitted":
			submitted = submitted || rec["accepted"] == 1.0 && rec["dip_id"] == sdsID
		case "message refused":
			refused = refused || rec["code"] == "MSG1001"
		}
	}
	if !submitted || !refused {
		t.Errorf("the log lacks the submission (%v) or the refusal with its code (%v):\n%s", submitted, refused, h.stderr)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://mhhs:s3cret@db:5432/mhhs?sslmode=disable": "postgres://mhhs:xxxxx@db:5432/mhhs?sslmode=disable",
		"postgres://db/mhhs?user=mhhs&password=s3cret":        "postgres://db/mhhs?password=xxxxx&user=mhhs",
		"postgres://postgres@127.0.0.1:5432/test":             "postgres://postgres@127.0.0.1:5432/test",
	} {
		if got := redactURL(in); got != want || strings.Contains(got, "s3cret") {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
