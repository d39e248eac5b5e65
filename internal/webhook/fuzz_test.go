package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/signature"
)

// FuzzReceiver sends arbitrary bodies and signing headers to a Receiver.
// When signed is true the body is signed correctly, so that the fuzzer
// reaches decoding and Handle; otherwise the four headers are the fuzzer's
// (an empty one is absent). The Receiver must not panic, must answer 201,
// 207, 400 or 401 with a StandardResponse, and must give one item per
// message whenever it hands messages to Handle.
func FuzzReceiver(f *testing.F) {
	dip := newSigner(f, "dip")
	const target = "http://hook.example/webhook/IF-033"
	valid := array(payload(1), payload(2))
	hs, err := dip.Sign(http.MethodPost, target, valid)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid, true, "", "", "", "", "")
	f.Add(valid, false, hs.Date, hs.ContentHash, hs.Certificate, hs.Signature, "1000000001")
	f.Add(array(payload(3)), false, hs.Date, hs.ContentHash, hs.Certificate, hs.Signature, "")
	f.Add(valid, false, "2025-06-27T14:19:09.061Z", hs.ContentHash, hs.Certificate, hs.Signature, "")
	f.Add(valid, false, hs.Date, hs.ContentHash, "bm90IGEgY2VydA==", hs.Signature, "")
	f.Add(valid, false, "", "", "", "", "")
	for _, b := range []string{``, `[]`, `null`, `[{}]`, `[{"payload":{}}]`, `[{"payload":{"CommonBlock":null}},{"payload":{"x":1}}]`, `[{"payload":1}]`, "[{\"payload\":{\"\xff\":1}}]"} {
		f.Add([]byte(b), true, "", "", "", "", "")
	}

	f.Fuzz(func(t *testing.T, body []byte, signed bool, date, hash, cert, sig, mpo string) {
		var handled int
		rc := newReceiver(dip, func(_ context.Context, msgs []catalogue.Message) []catalogue.Code {
			handled = len(msgs)
			codes := make([]catalogue.Code, len(msgs))
			for i, m := range msgs {
				if len(m.Payload)%2 == 1 {
					codes[i] = catalogue.MSG1001
				}
			}
			return codes
		})
		req := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if signed {
			hs, err := dip.Sign(http.MethodPost, target, body)
			if err != nil {
				t.Fatal(err)
			}
			hs.Set(req.Header)
		} else {
			for name, v := range map[string]string{
				signature.HeaderDate: date, signature.HeaderContentHash: hash,
				signature.HeaderCertificate: cert, signature.HeaderSignature: sig,
			} {
				if v != "" {
					req.Header.Set(name, v)
				}
			}
		}
		if mpo != "" {
			req.Header.Set("X-DIP-MPO", mpo)
		}
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, req)

		switch w.Code {
		case http.StatusCreated, http.StatusMultiStatus, http.StatusBadRequest, http.StatusUnauthorized:
		default:
			t.Fatalf("status %d for body %q", w.Code, body)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
		var sr catalogue.StandardResponse
		if err := json.Unmarshal(w.Body.Bytes(), &sr); err != nil || sr.MessageArray == nil || len(*sr.MessageArray) == 0 {
			t.Fatalf("response %q is not a StandardResponse with items: %v", w.Body.Bytes(), err)
		}
		items := *sr.MessageArray
		if handled > 0 && len(items) != handled {
			t.Fatalf("%d items for %d messages", len(items), handled)
		}
		accepted := 0
		for _, it := range items {
			if it.Message == nil || it.SenderID != selfID || it.SentTimestamp != testStamp {
				t.Fatalf("bad item %+v", it)
			}
			if strings.HasPrefix(*it.Message, string(catalogue.MSG0000)) {
				accepted++
			}
		}
		switch {
		case w.Code == http.StatusUnauthorized && (signed || handled > 0):
			t.Fatalf("401 for a correctly signed request")
		case w.Code == http.StatusCreated && accepted != len(items),
			w.Code == http.StatusMultiStatus && (accepted == 0 || accepted == len(items)),
			w.Code == http.StatusBadRequest && accepted != 0:
			t.Fatalf("status %d with %d of %d items accepted", w.Code, accepted, len(items))
		}
	})
}
