package signature

import (
	"testing"
)

// FuzzVerify feeds arbitrary requests and headers to Verify. It must never
// panic, must reject only with an *Error, and must accept only when the
// content hash matches the body.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f, "fuzz")
	body := []byte(`{"messageArray":[]}`)
	url := "https://dip.example/Send/IF-021?a=B"
	h, err := fx.signer.Sign("POST", url, body)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("POST", url, h.Date, h.ContentHash, h.Certificate, h.Signature, body)
	f.Add("post", "HTTPS://DIP.EXAMPLE/SEND/IF-021?A=b", h.Date, h.ContentHash, h.Certificate, h.Signature, body)
	f.Add("POST", url, "2025-06-27T14:29:09Z", h.ContentHash, h.Certificate, h.Signature, body)
	f.Add("POST", url, h.Date, h.ContentHash, b64("-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n"), h.Signature, body)
	f.Add("POST", url, h.Date, BodyHash(nil), h.Certificate, "", []byte(nil))
	f.Add("", "", "", "", "", "", []byte("x"))

	v := &Verifier{Now: fixedClock(testNow)}
	f.Fuzz(func(t *testing.T, method, url, date, hash, cert, sig string, body []byte) {
		h := Headers{Date: date, ContentHash: hash, Certificate: cert, Signature: sig}
		c, err := v.Verify(method, url, h, body)
		if err != nil {
			switch r := reasonOf(t, err); r {
			case MissingHeader, BadDate, StaleDate, ContentHash, BadCertificate, BadSignature:
			default:
				t.Fatalf("unknown reason %q", r)
			}
			if c != nil {
				t.Fatal("certificate returned with an error")
			}
			return
		}
		if hash != BodyHash(body) {
			t.Fatalf("Verify accepted content hash %q for body hashing to %q", hash, BodyHash(body))
		}
		if c == nil {
			t.Fatal("Verify succeeded without a certificate")
		}
	})
}
