package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// mhhs serve's flags bound a connection's life: a body slower than
// --body-timeout and a keep-alive connection idle for --idle-timeout are
// closed. (internal/httpapi's tests cover the API's answers; this checks
// the wiring of the flags.)
func TestServeClosesSlowAndIdleConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("boots mhhs serve")
	}
	const limit = 300 * time.Millisecond
	data := t.TempDir()
	h := startDIP(t, data, "--body-timeout", limit.String(), "--idle-timeout", limit.String())
	sds := addParty(t, data, h.url, sdsID, "SDS")
	addr := strings.TrimPrefix(h.url, "http://")
	// closed reports whether the server closes c within wait, and how soon.
	closed := func(c net.Conn, r *bufio.Reader, wait time.Duration) (bool, time.Duration) {
		start := time.Now()
		c.SetReadDeadline(start.Add(wait))
		_, err := io.Copy(io.Discard, r)
		return err == nil, time.Since(start)
	}

	t.Run("slow body", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// A participant's request (its API key, signature headers present)
		// whose body stops after two of its 1,000 bytes.
		io.WriteString(c, "POST /dip-channel/IF-021 HTTP/1.1\r\nHost: "+addr+"\r\nContent-Type: application/json\r\nX-API-Key: "+sds.client.APIKey+"\r\n"+
			"X-DIP-Signature: s\r\nX-DIP-Signature-Date: d\r\nX-DIP-Content-Hash: h\r\nX-DIP-Signature-Certificate: c\r\nContent-Length: 1000\r\n\r\n[{")
		r := bufio.NewReader(c)
		c.SetReadDeadline(time.Now().Add(10 * limit))
		if resp, err := http.ReadResponse(r, nil); err != nil || resp.StatusCode != http.StatusRequestTimeout {
			t.Fatalf("a slow body: %v %v; want 408", resp, err)
		}
		if ok, took := closed(c, r, 10*limit); !ok || took > 2*time.Second {
			t.Errorf("closed %v %v after the 408; want closed within 2 s", ok, took)
		}
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := bufio.NewReader(c)
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(r, nil)
		if err != nil || resp.StatusCode != 200 || resp.Close {
			t.Fatalf("GET /healthz: %v %v; want 200 kept alive", resp, err)
		}
		io.Copy(io.Discard, resp.Body)
		if ok, took := closed(c, r, 10*limit); !ok || took > limit+time.Second {
			t.Errorf("closed %v after %v idle; want closed about %v", ok, took, limit)
		}
	})
}

// --body-memory must hold two of the largest bodies (a chunked body's
// buffer grows by copying).
func TestServeBodyMemoryHoldsTheLargestBody(t *testing.T) {
	code, _, errOut := runCLI(t, "", "serve", "--addr", "127.0.0.1:-1", "--data", t.TempDir(), "--max-body", "1000", "--body-memory", "1999")
	if code != exitUsage || !strings.Contains(errOut, "--body-memory") {
		t.Errorf("--body-memory 1999 with --max-body 1000: exit %d %q, want a usage error naming --body-memory", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "serve", "--addr", "127.0.0.1:-1", "--data", t.TempDir(), "--max-body", "1000", "--body-memory", "2000"); code == exitUsage {
		t.Errorf("--body-memory 2000 with --max-body 1000 refused: %s", errOut)
	}
}
