package signature

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

// signed is one signed request as a verifier sees it.
type signed struct {
	method, url string
	h           Headers
	body        []byte
}

const (
	testURL  = "https://dip.example.co.uk/Send/IF-021?SenderID=ABCDE12345"
	testBody = `{"messageArray":[{"sentTimestamp":"2025-06-27T15:29:09+01:00"}]}`
)

// signAt signs the standard test request with fx's key at time at.
func (fx *fixture) signAt(t *testing.T, at time.Time) signed {
	t.Helper()
	s := *fx.signer
	s.Now = fixedClock(at)
	h, err := s.Sign("POST", testURL, []byte(testBody))
	if err != nil {
		t.Fatal(err)
	}
	return signed{"POST", testURL, h, []byte(testBody)}
}

func TestVerifyMutations(t *testing.T) {
	fx := newFixture(t, "sender")
	other := newFixture(t, "other")
	skew := DefaultMaxSkew
	var (
		pastEdge   = fx.signAt(t, testNow.Add(-skew))
		futureEdge = fx.signAt(t, testNow.Add(skew))
		pastOut    = fx.signAt(t, testNow.Add(-skew-time.Millisecond))
		futureOut  = fx.signAt(t, testNow.Add(skew+time.Millisecond))
		dayOld     = fx.signAt(t, testNow.AddDate(0, 0, -1))
		ecdsaPEM   = ecdsaCertPEM(t)
	)

	for _, tt := range []struct {
		name   string
		mutate func(r *signed)
		want   Reason // "" means Verify must succeed
	}{
		{"unchanged", func(r *signed) {}, ""},

		{"missing date", func(r *signed) { r.h.Date = "" }, MissingHeader},
		{"missing content hash", func(r *signed) { r.h.ContentHash = "" }, MissingHeader},
		{"missing certificate", func(r *signed) { r.h.Certificate = "" }, MissingHeader},
		{"missing signature", func(r *signed) { r.h.Signature = "" }, MissingHeader},

		{"body one byte changed", func(r *signed) { r.body[len(r.body)-2] ^= 1 }, ContentHash},
		{"body one byte appended", func(r *signed) { r.body = append(r.body, '\n') }, ContentHash},
		{"body changed with matching hash", func(r *signed) {
			r.body[len(r.body)-2] ^= 1
			r.h.ContentHash = BodyHash(r.body)
		}, BadSignature},
		{"content hash not canonical base64", func(r *signed) {
			// The last character of a 32-byte encoding carries two unused
			// bits; flipping one decodes to the same bytes.
			b := []byte(r.h.ContentHash)
			i := strings.IndexByte(base64Alphabet, b[42])
			b[42] = base64Alphabet[i^1]
			r.h.ContentHash = string(b)
		}, ContentHash},
		{"content hash garbage", func(r *signed) { r.h.ContentHash = "!!not base64!!" }, ContentHash},

		{"URL path upper-cased", func(r *signed) { r.url = strings.ToUpper(testURL) }, ""},
		{"URL path lower-cased", func(r *signed) { r.url = strings.ToLower(testURL) }, ""},
		{"URL host mixed case", func(r *signed) { r.url = strings.Replace(testURL, "dip.example", "DIP.Example", 1) }, ""},
		{"URL different path", func(r *signed) { r.url = strings.Replace(testURL, "IF-021", "IF-022", 1) }, BadSignature},
		{"URL different query", func(r *signed) { r.url = strings.Replace(testURL, "12345", "12346", 1) }, BadSignature},
		{"URL query dropped", func(r *signed) { r.url = strings.Split(testURL, "?")[0] }, BadSignature},
		{"URL scheme changed", func(r *signed) { r.url = strings.Replace(testURL, "https", "http", 1) }, BadSignature},
		{"URL port added", func(r *signed) { r.url = strings.Replace(testURL, ".uk/", ".uk:443/", 1) }, BadSignature},

		{"method lower-case", func(r *signed) { r.method = "post" }, ""},
		{"method changed", func(r *signed) { r.method = "PUT" }, BadSignature},

		{"date at past edge of window", func(r *signed) { *r = pastEdge }, ""},
		{"date at future edge of window", func(r *signed) { *r = futureEdge }, ""},
		{"date past window", func(r *signed) { *r = pastOut }, StaleDate},
		{"date future window", func(r *signed) { *r = futureOut }, StaleDate},
		{"date a day old", func(r *signed) { *r = dayOld }, StaleDate},
		{"date changed within window", func(r *signed) { r.h.Date = "2025-06-27T14:29:09.062Z" }, BadSignature},

		{"date without millis", func(r *signed) { r.h.Date = "2025-06-27T14:29:09Z" }, BadDate},
		{"date without Z", func(r *signed) { r.h.Date = "2025-06-27T14:29:09.061" }, BadDate},
		{"date with offset", func(r *signed) { r.h.Date = "2025-06-27T14:29:09.061+00:00" }, BadDate},
		{"date with micros", func(r *signed) { r.h.Date = "2025-06-27T14:29:09.061000Z" }, BadDate},
		{"date with one-digit hour", func(r *signed) { r.h.Date = "2025-06-27T4:29:09.061Z" }, BadDate},
		{"date lower-case z", func(r *signed) { r.h.Date = "2025-06-27T14:29:09.061z" }, BadDate},
		{"date with space", func(r *signed) { r.h.Date = "2025-06-27 14:29:09.061Z" }, BadDate},
		{"date out of range", func(r *signed) { r.h.Date = "2025-06-31T14:29:09.061Z" }, BadDate},

		{"certificate of another key", func(r *signed) { r.h.Certificate = other.signer.certHdr }, BadSignature},
		{"signed by another key", func(r *signed) {
			s := *other.signer
			s.certHdr = fx.signer.certHdr
			r.h, _ = s.Sign(r.method, r.url, r.body)
		}, BadSignature},
		{"certificate garbage base64", func(r *signed) { r.h.Certificate = "%%%garbage%%%" }, BadCertificate},
		{"certificate not PEM", func(r *signed) { r.h.Certificate = b64("hello") }, BadCertificate},
		{"certificate PEM of a key", func(r *signed) { r.h.Certificate = b64(string(fx.keyPEM)) }, BadCertificate},
		{"certificate with private key", func(r *signed) { r.h.Certificate = b64(string(fx.certPEM) + string(fx.keyPEM)) }, BadCertificate},
		{"certificate DER not PEM", func(r *signed) { r.h.Certificate = base64.StdEncoding.EncodeToString(fx.signer.cert.Raw) }, BadCertificate},
		{"certificate truncated DER", func(r *signed) {
			r.h.Certificate = b64(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: fx.signer.cert.Raw[:100]})))
		}, BadCertificate},
		{"certificate ECDSA", func(r *signed) { r.h.Certificate = b64(string(ecdsaPEM)) }, BadCertificate},
		{"certificate with CRLF", func(r *signed) {
			r.h.Certificate = b64(strings.ReplaceAll(string(fx.certPEM), "\n", "\r\n"))
		}, ""},

		{"signature garbage base64", func(r *signed) { r.h.Signature = "%%%garbage%%%" }, BadSignature},
		{"signature truncated", func(r *signed) { r.h.Signature = r.h.Signature[:40] }, BadSignature},
		{"signature bit flipped", func(r *signed) {
			sig, _ := base64.StdEncoding.DecodeString(r.h.Signature)
			sig[10] ^= 0x80
			r.h.Signature = base64.StdEncoding.EncodeToString(sig)
		}, BadSignature},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := fx.signAt(t, testNow)
			tt.mutate(&r)
			v := &Verifier{Now: fixedClock(testNow)}
			cert, err := v.Verify(r.method, r.url, r.h, r.body)
			if got := reasonOf(t, err); got != tt.want {
				t.Fatalf("Verify reason %q (%v), want %q", got, err, tt.want)
			}
			if err != nil {
				if cert != nil {
					t.Error("Verify returned a certificate with an error")
				}
				if !errors.Is(err, tt.want) {
					t.Errorf("errors.Is(%v, %s) = false", err, tt.want)
				}
				return
			}
			if cert == nil || cert.Subject.CommonName != "sender" {
				t.Errorf("Verify returned certificate %v, want the sender's", cert)
			}
		})
	}
}

func TestVerifyMaxSkew(t *testing.T) {
	fx := newFixture(t, "skew")
	for _, tt := range []struct {
		maxSkew time.Duration
		offset  time.Duration // signing time minus verifier time
		want    Reason
	}{
		{0, 5 * time.Minute, ""},
		{0, 5*time.Minute + time.Millisecond, StaleDate},
		{-time.Second, -5 * time.Minute, ""}, // negative means the default
		{30 * time.Second, 30 * time.Second, ""},
		{30 * time.Second, -30 * time.Second, ""},
		{30 * time.Second, 31 * time.Second, StaleDate},
		{30 * time.Second, -31 * time.Second, StaleDate},
		{time.Hour, -59 * time.Minute, ""},
	} {
		r := fx.signAt(t, testNow.Add(tt.offset))
		v := &Verifier{MaxSkew: tt.maxSkew, Now: fixedClock(testNow)}
		_, err := v.Verify(r.method, r.url, r.h, r.body)
		if got := reasonOf(t, err); got != tt.want {
			t.Errorf("MaxSkew %s, offset %s: reason %q (%v), want %q", tt.maxSkew, tt.offset, got, err, tt.want)
		}
	}
}

func TestVerifyDefaultClock(t *testing.T) {
	fx := newFixture(t, "clock")
	fx.signer.Now = nil
	h, err := fx.signer.Sign("POST", testURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := new(Verifier).Verify("POST", testURL, h, nil); err != nil {
		t.Errorf("zero Verifier rejects a fresh signature: %v", err)
	}
}

func TestErrorIs(t *testing.T) {
	reasons := []Reason{MissingHeader, BadDate, StaleDate, ContentHash, BadCertificate, BadSignature}
	cause := errors.New("cause")
	for _, r := range reasons {
		err := error(&Error{Reason: r, Err: cause})
		for _, other := range reasons {
			if got := errors.Is(err, other); got != (r == other) {
				t.Errorf("errors.Is(%s error, %s) = %v", r, other, got)
			}
		}
		if !errors.Is(err, cause) {
			t.Errorf("%s error does not unwrap to its cause", r)
		}
		if !strings.HasPrefix(err.Error(), "signature: ") || !strings.HasSuffix(err.Error(), ": cause") {
			t.Errorf("Error() = %q", err)
		}
		if r.Error() == "signature: "+string(r) {
			t.Errorf("reason %s has no description", r)
		}
	}
}

func TestCertificateFingerprint(t *testing.T) {
	fx := newFixture(t, "fp")
	r := fx.signAt(t, testNow)
	cert, err := (&Verifier{Now: fixedClock(testNow)}).Verify(r.method, r.url, r.h, r.body)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(fx.certPEM)
	sum := sha256.Sum256(block.Bytes)
	want := hex.EncodeToString(sum[:])
	if got := CertificateFingerprint(cert); got != want {
		t.Errorf("CertificateFingerprint = %s, want %s", got, want)
	}
	if got := CertificateFingerprint(fx.signer.Certificate()); got != want {
		t.Errorf("fingerprint of the signer's certificate = %s, want %s", got, want)
	}
	other := newFixture(t, "fp")
	if CertificateFingerprint(other.signer.Certificate()) == want {
		t.Error("two certificates share a fingerprint")
	}
}

const base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// ecdsaCertPEM returns a self-signed ECDSA certificate.
func ecdsaCertPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "ecdsa"},
		NotBefore:    testNow.Add(-time.Hour),
		NotAfter:     testNow.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
