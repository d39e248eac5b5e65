package signature

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"time"
)

// FuzzVerify feeds arbitrary requests and headers to Verify. It must never
// panic, must reject only with an *Error, and may accept only what
// referenceVerify, a second implementation of the scheme written from its
// description, accepts: a canonical date within the window on both sides, a
// content hash of the body, and an RSA signature that, raised to the
// certificate's public exponent, is the PKCS #1 v1.5 encoding of the SHA-256
// of the signing string. The seeds include valid signatures with one part
// changed, so that a Verify that skips the RSA check or checks the window on
// one side only fails without -fuzz.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f, "fuzz")
	other := newFixture(f, "other")
	body := []byte(`{"messageArray":[]}`)
	url := "https://dip.example/Send/IF-021?a=B"
	sign := func(fx *fixture, at time.Time, method, url string, body []byte) Headers {
		s := *fx.signer
		s.Now = fixedClock(at)
		h, err := s.Sign(method, url, body)
		if err != nil {
			f.Fatal(err)
		}
		return h
	}
	h := sign(fx, testNow, "POST", url, body)
	add := func(method, url string, h Headers, body []byte) {
		f.Add(method, url, h.Date, h.ContentHash, h.Certificate, h.Signature, body)
	}
	add("POST", url, h, body)
	add("post", "HTTPS://DIP.EXAMPLE/SEND/IF-021?A=b", h, body)
	f.Add("POST", url, "2025-06-27T14:29:09Z", h.ContentHash, h.Certificate, h.Signature, body)
	f.Add("POST", url, h.Date, h.ContentHash, b64("-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n"), h.Signature, body)
	f.Add("POST", url, h.Date, BodyHash(nil), h.Certificate, "", []byte(nil))
	f.Add("", "", "", "", "", "", []byte("x"))

	// A valid signature with one signed part changed.
	add("PUT", url, h, body)
	add("POST", url+"&c=d", h, body)
	add("POST", strings.Replace(url, "IF-021", "IF-022", 1), h, body)
	changed := []byte(`{"messageArray":[{}]}`)
	add("POST", url, Headers{h.Date, BodyHash(changed), h.Certificate, h.Signature}, changed)
	add("POST", url, Headers{"2025-06-27T14:29:09.062Z", h.ContentHash, h.Certificate, h.Signature}, body)
	sig, _ := base64.StdEncoding.DecodeString(h.Signature)
	sig[len(sig)-1] ^= 1
	add("POST", url, Headers{h.Date, h.ContentHash, h.Certificate, base64.StdEncoding.EncodeToString(sig)}, body)
	add("POST", url, Headers{h.Date, h.ContentHash, other.signer.certHdr, h.Signature}, body)
	ho := sign(other, testNow, "POST", url, body)
	add("POST", url, Headers{ho.Date, ho.ContentHash, h.Certificate, ho.Signature}, body)
	// Valid signatures just outside the window, on each side.
	add("POST", url, sign(fx, testNow.Add(-DefaultMaxSkew-time.Millisecond), "POST", url, body), body)
	add("POST", url, sign(fx, testNow.Add(DefaultMaxSkew+time.Millisecond), "POST", url, body), body)
	add("POST", url, sign(fx, testNow.Add(-DefaultMaxSkew), "POST", url, body), body)
	add("POST", url, sign(fx, testNow.Add(DefaultMaxSkew), "POST", url, body), body)

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
		if c == nil {
			t.Fatal("Verify succeeded without a certificate")
		}
		if why := referenceVerify(method, url, h, body, testNow, DefaultMaxSkew); why != "" {
			t.Fatalf("Verify accepted what the reference rejects: %s", why)
		}
	})
}

// FuzzVerifySigned signs a fuzzed request with one key at a fuzzed time,
// then changes one signed part of it (body, URL, method, date, signature,
// certificate or signing key) and checks Verify's verdict on both: the
// request as signed verifies exactly when its date is within the window, and
// every change that alters what was signed is rejected with the reason of
// the part changed.
func FuzzVerifySigned(f *testing.F) {
	fx := newFixture(f, "signed")
	other := newFixture(f, "other")
	skewMs := DefaultMaxSkew.Milliseconds()
	url := "https://dip.example/Send/IF-021?a=B"
	body := []byte(`{"messageArray":[]}`)
	for kind := range uint8(mutationKinds) {
		f.Add("POST", url, body, int64(0), kind, uint16(3), byte('x'))
	}
	for _, off := range []int64{-skewMs - 1, -skewMs, skewMs, skewMs + 1, -86_400_000} {
		f.Add("POST", url, body, off, uint8(mutateDate), uint16(0), byte(1))
	}
	f.Add("post", "HTTPS://DIP.EXAMPLE/x", []byte(nil), int64(-1), uint8(mutateURL), uint16(9), byte('X'))

	v := &Verifier{Now: fixedClock(testNow)}
	f.Fuzz(func(t *testing.T, method, url string, body []byte, offMs int64, kind uint8, pos uint16, val byte) {
		offMs %= 2 * 86_400_000 // within two days, so the date always formats
		signedAt := testNow.Add(time.Duration(offMs) * time.Millisecond)
		s := *fx.signer
		s.Now = fixedClock(signedAt)
		h, err := s.Sign(method, url, body)
		if err != nil {
			t.Fatal(err)
		}
		inWindow := func(ms int64) bool { return -skewMs <= ms && ms <= skewMs }
		check := func(what, method, url string, h Headers, body []byte, want Reason) {
			t.Helper()
			c, err := v.Verify(method, url, h, body)
			if got := reasonOf(t, err); got != want {
				t.Fatalf("%s: Verify reason %q (%v), want %q", what, got, err, want)
			}
			if err == nil && !c.Equal(fx.signer.cert) {
				t.Fatalf("%s: Verify returned a certificate other than the signer's", what)
			}
		}
		if !inWindow(offMs) {
			check("signed outside the window", method, url, h, body, StaleDate)
			return
		}
		check("as signed", method, url, h, body, "")

		switch kind % mutationKinds {
		case mutateBody:
			b := insertByte(body, int(pos), val)
			h2 := h
			h2.ContentHash = BodyHash(b)
			check("body changed, hash matching", method, url, h2, b, BadSignature)
			check("body changed, hash as signed", method, url, h, b, ContentHash)
		case mutateURL:
			u := string(insertByte([]byte(url), int(pos), val))
			want := BadSignature
			if strings.ToLower(u) == strings.ToLower(url) {
				want = "" // the scheme signs lower(url): e.g. two invalid UTF-8 bytes both lower to U+FFFD
			}
			check("URL changed", method, u, h, body, want)
		case mutateMethod:
			m := string(insertByte([]byte(method), int(pos), val))
			want := BadSignature
			if strings.ToUpper(m) == strings.ToUpper(method) {
				want = ""
			}
			check("method changed", m, url, h, body, want)
		case mutateDate:
			d := int64(pos) + 1
			if val&1 == 1 {
				d = -d
			}
			h2 := h
			h2.Date = signedAt.Add(time.Duration(d) * time.Millisecond).Format(DateLayout)
			want := BadSignature
			if !inWindow(offMs + d) {
				want = StaleDate
			}
			check("date changed", method, url, h2, body, want)
		case mutateSignature:
			sig, err := base64.StdEncoding.DecodeString(h.Signature)
			if err != nil {
				t.Fatal(err)
			}
			sig[int(pos)%len(sig)] ^= 1 << (val % 8)
			h2 := h
			h2.Signature = base64.StdEncoding.EncodeToString(sig)
			check("signature bit flipped", method, url, h2, body, BadSignature)
		case mutateCertificate:
			h2 := h
			h2.Certificate = other.signer.certHdr
			check("another key's certificate", method, url, h2, body, BadSignature)
		case mutateKey:
			so := *other.signer
			so.Now = fixedClock(signedAt)
			h2, err := so.Sign(method, url, body)
			if err != nil {
				t.Fatal(err)
			}
			h2.Certificate = h.Certificate
			check("signed by another key", method, url, h2, body, BadSignature)
		}
	})
}

// The changes FuzzVerifySigned makes to a signed request.
const (
	mutateBody = iota
	mutateURL
	mutateMethod
	mutateDate
	mutateSignature
	mutateCertificate
	mutateKey
	mutationKinds
)

// insertByte returns a copy of b with c inserted at pos modulo len(b)+1.
func insertByte(b []byte, pos int, c byte) []byte {
	pos %= len(b) + 1
	out := make([]byte, 0, len(b)+1)
	out = append(out, b[:pos]...)
	out = append(out, c)
	return append(out, b[pos:]...)
}

// canonicalDate is DateLayout as a pattern; time.Parse alone accepts
// non-canonical forms such as one-digit hours.
var canonicalDate = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$`)

// sha256DigestInfo is the DER DigestInfo prefix for SHA-256, RFC 8017
// section 9.2 note 1.
var sha256DigestInfo = []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}

// referenceVerify checks h as the scheme describes it, without Verify's
// code: it returns "" when h signs the request at now within skew, or what
// is wrong. The RSA check is textbook: s^e mod n must equal
// 0x00 0x01 0xff… 0x00 DigestInfo SHA-256(signing string), RFC 8017 8.2.2.
func referenceVerify(method, url string, h Headers, body []byte, now time.Time, skew time.Duration) string {
	if h.Date == "" || h.ContentHash == "" || h.Certificate == "" || h.Signature == "" {
		return "a header is empty"
	}
	if !canonicalDate.MatchString(h.Date) {
		return "date not canonical"
	}
	date, err := time.Parse(DateLayout, h.Date)
	if err != nil {
		return "date: " + err.Error()
	}
	if d := now.Sub(date); d > skew || d < -skew {
		return "date outside the window"
	}
	sum := sha256.Sum256(body)
	if h.ContentHash != base64.StdEncoding.EncodeToString(sum[:]) {
		return "content hash"
	}
	certPEM, err := base64.StdEncoding.DecodeString(h.Certificate)
	if err != nil {
		return "certificate base64"
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return "certificate PEM"
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "certificate DER"
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return "certificate key not RSA"
	}
	sig, err := base64.StdEncoding.DecodeString(h.Signature)
	if err != nil {
		return "signature base64"
	}
	k := (pub.N.BitLen() + 7) / 8
	s := new(big.Int).SetBytes(sig)
	if len(sig) != k || s.Cmp(pub.N) >= 0 {
		return "signature length or range"
	}
	em := new(big.Int).Exp(s, big.NewInt(int64(pub.E)), pub.N).FillBytes(make([]byte, k))
	signed := strings.ToUpper(method) + ";" + strings.ToLower(url) + ";" + h.Date + ";" + h.ContentHash
	digest := sha256.Sum256([]byte(signed))
	t := append(append([]byte{}, sha256DigestInfo...), digest[:]...)
	want := append([]byte{0x00, 0x01}, bytes.Repeat([]byte{0xff}, k-len(t)-3)...)
	want = append(append(want, 0x00), t...)
	if !bytes.Equal(em, want) {
		return "RSA signature does not verify"
	}
	return ""
}
