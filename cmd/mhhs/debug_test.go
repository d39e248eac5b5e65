package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestServeDebugAddr: --debug-addr serves Go's profiler on its own
// listener, and the API's listener does not serve it.
func TestServeDebugAddr(t *testing.T) {
	bin := buildBinary(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	sp := startServeProcess(t, bin, t.TempDir(), "", "--debug-addr", addr)
	get := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("http://" + addr + "/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("the profiler answered %d: %.200s", code, body)
	}
	if code, body := get(sp.url + "/debug/pprof/"); code == http.StatusOK {
		t.Errorf("the API serves the profiler: %d %.200s", code, body)
	}
}
