package signature

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBodyHash(t *testing.T) {
	for _, tt := range []struct {
		body []byte
		want string
	}{
		{nil, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
		{[]byte{}, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
		{[]byte("abc"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="},
	} {
		if got := BodyHash(tt.body); got != tt.want {
			t.Errorf("BodyHash(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

func TestSigningString(t *testing.T) {
	got := SigningString("post", "HTTPS://DIP.Example.co.uk/Send/IF-021?Foo=BAR", "2025-06-27T14:29:09.061Z", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")
	// The date and content hash keep their case; only method and URL change.
	want := "POST;https://dip.example.co.uk/send/if-021?foo=bar;2025-06-27T14:29:09.061Z;ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
	if got != want {
		t.Errorf("SigningString:\n got %s\nwant %s", got, want)
	}
}

func TestHeadersSetAndFrom(t *testing.T) {
	want := Headers{Date: "d", ContentHash: "h", Certificate: "c", Signature: "s"}
	h := http.Header{}
	h.Set(HeaderSignature, "old")
	want.Set(h)
	if diff := cmp.Diff(http.Header{
		"X-Dip-Signature-Date":        {"d"},
		"X-Dip-Content-Hash":          {"h"},
		"X-Dip-Signature-Certificate": {"c"},
		"X-Dip-Signature":             {"s"},
	}, h); diff != "" {
		t.Errorf("Set (-want +got):\n%s", diff)
	}
	got, err := HeadersFrom(h)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HeadersFrom (-want +got):\n%s", diff)
	}
}

func TestHeadersFromMissing(t *testing.T) {
	h := http.Header{}
	h.Set(HeaderContentHash, "h")
	h.Set(HeaderSignature, "") // present but empty counts as missing
	got, err := HeadersFrom(h)
	if !errors.Is(err, MissingHeader) {
		t.Fatalf("HeadersFrom err = %v, want MissingHeader", err)
	}
	for _, name := range []string{HeaderDate, HeaderCertificate, HeaderSignature} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
	if strings.Contains(err.Error(), HeaderContentHash) {
		t.Errorf("error %q names the present header %s", err, HeaderContentHash)
	}
	if got.ContentHash != "h" {
		t.Errorf("HeadersFrom kept ContentHash %q, want %q", got.ContentHash, "h")
	}
}

func TestSign(t *testing.T) {
	fx := newFixture(t, "sign")
	// A clock outside UTC must still produce a UTC date with a literal Z.
	fx.signer.Now = fixedClock(testNow.In(time.FixedZone("BST", 3600)))
	body := []byte(`{"messageArray":[]}`)
	h, err := fx.signer.Sign("POST", "https://dip.example/send", body)
	if err != nil {
		t.Fatal(err)
	}
	if h.Date != "2025-06-27T14:29:09.061Z" {
		t.Errorf("Date = %q", h.Date)
	}
	if h.ContentHash != BodyHash(body) {
		t.Errorf("ContentHash = %q, want %q", h.ContentHash, BodyHash(body))
	}
	cert, err := base64.StdEncoding.DecodeString(h.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cert, fx.certPEM) {
		t.Errorf("Certificate header decodes to\n%s\nwant\n%s", cert, fx.certPEM)
	}
	if bytes.Contains(cert, []byte("PRIVATE KEY")) {
		t.Error("Certificate header carries a private key")
	}
	again, err := fx.signer.Sign("POST", "https://dip.example/send", body)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(h, again); diff != "" {
		t.Errorf("signing is not deterministic (-first +second):\n%s", diff)
	}
}

func TestSignDefaultClock(t *testing.T) {
	fx := newFixture(t, "clock")
	fx.signer.Now = nil
	before := time.Now().UTC().Truncate(time.Millisecond)
	h, err := fx.signer.Sign("GET", "https://dip.example/", nil)
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now().UTC()
	d, err := time.Parse(DateLayout, h.Date)
	if err != nil {
		t.Fatal(err)
	}
	if d.Before(before) || d.After(after) {
		t.Errorf("Date %s not between %s and %s", h.Date, before, after)
	}
}

func TestNewSigner(t *testing.T) {
	a := newFixture(t, "a")
	b := newFixture(t, "b")

	if _, err := NewSigner(a.key, b.certPEM); err == nil {
		t.Error("NewSigner accepted the certificate of another key")
	}
	if _, err := NewSigner(nil, a.certPEM); err == nil {
		t.Error("NewSigner accepted a nil key")
	}
	if _, err := NewSigner(a.key, []byte("not PEM")); err == nil {
		t.Error("NewSigner accepted a certificate that is not PEM")
	}
	if _, err := NewSigner(a.key, append(append([]byte{}, a.certPEM...), a.keyPEM...)); err == nil {
		t.Error("NewSigner accepted certificate PEM that carries the private key")
	}

	// A chain: the leaf first, then another certificate.
	chain := append(append([]byte{}, a.certPEM...), b.certPEM...)
	s, err := NewSigner(a.key, chain)
	if err != nil {
		t.Fatalf("NewSigner with a chain: %v", err)
	}
	if got, want := s.Certificate().Subject.CommonName, "a"; got != want {
		t.Errorf("Certificate CN = %q, want %q", got, want)
	}
}

func TestNewSignerNormalisesCRLF(t *testing.T) {
	fx := newFixture(t, "crlf")
	crlf := bytes.ReplaceAll(fx.certPEM, []byte("\n"), []byte("\r\n"))
	s, err := NewSigner(fx.key, crlf)
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.Sign("POST", "https://dip.example/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := base64.StdEncoding.EncodeToString(fx.certPEM); h.Certificate != want {
		t.Errorf("Certificate header of CRLF PEM = %q, want base64 of the LF text %q", h.Certificate, want)
	}
	if !bytes.Equal(s.CertificatePEM(), fx.certPEM) {
		t.Error("CertificatePEM is not the LF text")
	}
}

func TestSignRequest(t *testing.T) {
	fx := newFixture(t, "request")
	v := &Verifier{Now: fixedClock(testNow)}
	body := []byte("payload")
	for _, tt := range []struct {
		url    string // as given to http.NewRequest
		signed string // the URL the signature must cover
	}{
		{"https://DIP.example:8443/Send/IF-021?Foo=BAR", "https://dip.example:8443/send/if-021?foo=bar"},
		{"https://user:pw@dip.example/send#frag", "https://dip.example/send"},
		{"https://dip.example", "https://dip.example/"},
		{"https://dip.example/a%2Fb?x=%7E", "https://dip.example/a%2fb?x=%7e"},
	} {
		r, err := http.NewRequest("post", tt.url, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if err := fx.signer.SignRequest(r, body); err != nil {
			t.Fatalf("SignRequest(%s): %v", tt.url, err)
		}
		h, err := HeadersFrom(r.Header)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify("POST", tt.signed, h, body); err != nil {
			t.Errorf("SignRequest(%s) does not sign %s: %v", tt.url, tt.signed, err)
		}
	}

	r := &http.Request{Method: "POST", URL: mustParseURL(t, "/relative")}
	if err := fx.signer.SignRequest(r, nil); err == nil {
		t.Error("SignRequest accepted a relative URL")
	}
}

func TestSignatureIsOverSHA256OfSigningString(t *testing.T) {
	// Guards against signing the string itself or a double hash: recover
	// the digest from the signature with the public key.
	fx := newFixture(t, "digest")
	h, err := fx.signer.Sign("POST", "https://dip.example/x", []byte("b"))
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := base64.StdEncoding.DecodeString(h.Signature)
	want := sha256.Sum256([]byte(SigningString("POST", "https://dip.example/x", h.Date, h.ContentHash)))
	// DER DigestInfo prefix for SHA-256, RFC 8017 section 9.2 note 1.
	prefix := []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}
	if em := rawRSA(fx, sig); !bytes.HasSuffix(em, append(prefix, want[:]...)) {
		t.Errorf("signature does not carry SHA-256 of the signing string")
	}
}
