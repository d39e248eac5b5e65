package signature

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"
)

// DefaultMaxSkew is the signature-date tolerance a [Verifier] applies when
// its MaxSkew is zero: a date more than five minutes before or after the
// verifier's clock is stale.
const DefaultMaxSkew = 5 * time.Minute

// A Reason says why a [Verifier] rejected a request. Reasons are stable
// values the HTTP layer maps to DIP answers; do not change them.
//
// A Reason is also an error, so errors.Is(err, signature.StaleDate) reports
// whether err is, or wraps, a rejection for that reason.
type Reason string

// Rejection reasons, in the order Verify checks them.
const (
	MissingHeader  Reason = "missing_header"  // a signing header is absent or empty
	BadDate        Reason = "bad_date"        // the date is not in DateLayout
	StaleDate      Reason = "stale_date"      // the date is outside the skew window
	ContentHash    Reason = "content_hash"    // the content hash does not match the body
	BadCertificate Reason = "bad_certificate" // the certificate does not decode or its key is not RSA
	BadSignature   Reason = "bad_signature"   // the signature does not decode or does not verify
)

var reasonText = map[Reason]string{
	MissingHeader:  "missing header",
	BadDate:        "malformed signature date",
	StaleDate:      "signature date outside the allowed window",
	ContentHash:    "content hash does not match body",
	BadCertificate: "bad signature certificate",
	BadSignature:   "bad signature",
}

// Error returns a description of the reason.
func (r Reason) Error() string {
	if t, ok := reasonText[r]; ok {
		return "signature: " + t
	}
	return "signature: " + string(r)
}

// Error is a rejection by [Verifier.Verify] or [HeadersFrom]. Err holds the
// detail, such as the missing header's name or the decoding error.
type Error struct {
	Reason Reason
	Err    error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Reason.Error()
	}
	return e.Reason.Error() + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's Reason.
func (e *Error) Is(target error) bool {
	r, ok := target.(Reason)
	return ok && r == e.Reason
}

func reject(r Reason, format string, args ...any) *Error {
	return &Error{Reason: r, Err: fmt.Errorf(format, args...)}
}

// A Verifier checks the signing headers of inbound requests. The zero value
// is ready to use and safe for concurrent use.
type Verifier struct {
	// MaxSkew is how far the signature date may be from Now, in either
	// direction. Zero or negative means DefaultMaxSkew.
	MaxSkew time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Verify checks that h signs a request with the given method, full URL
// (scheme://host[:port]/path[?query], as requested) and exact body bytes,
// and returns the certificate that signed it. It checks, in order: every
// header is present; the date is in [DateLayout] and within MaxSkew of Now;
// the content hash equals that of body; the certificate decodes from base64
// PEM to an X.509 certificate with an RSA key; the signature verifies with
// that key. It does not decide whether the certificate is trusted: compare
// [CertificateFingerprint] with the participant's registered certificate.
//
// Every error returned is an [*Error]; errors.Is(err, reason) selects by
// [Reason].
func (v *Verifier) Verify(method, fullURL string, h Headers, body []byte) (*x509.Certificate, error) {
	if err := h.checkPresent(); err != nil {
		return nil, err
	}

	date, err := time.Parse(DateLayout, h.Date)
	if err != nil {
		return nil, &Error{Reason: BadDate, Err: err}
	}
	// time.Parse accepts some non-canonical forms, such as a one-digit hour.
	if canon := date.Format(DateLayout); canon != h.Date {
		return nil, reject(BadDate, "%q is not in layout %s", h.Date, DateLayout)
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	if d := now().Sub(date); d > skew || d < -skew {
		return nil, reject(StaleDate, "date %s is %s from now, limit %s", h.Date, d.Abs(), skew)
	}

	if subtle.ConstantTimeCompare([]byte(h.ContentHash), []byte(BodyHash(body))) != 1 {
		return nil, reject(ContentHash, "header %s does not match body", HeaderContentHash)
	}

	certPEM, err := base64.StdEncoding.DecodeString(h.Certificate)
	if err != nil {
		return nil, &Error{Reason: BadCertificate, Err: err}
	}
	cert, err := parseCertificatePEM(certPEM)
	if err != nil {
		return nil, &Error{Reason: BadCertificate, Err: err}
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, reject(BadCertificate, "certificate key is %T, not RSA", cert.PublicKey)
	}

	sig, err := base64.StdEncoding.DecodeString(h.Signature)
	if err != nil {
		return nil, &Error{Reason: BadSignature, Err: err}
	}
	digest := sha256.Sum256([]byte(SigningString(method, fullURL, h.Date, h.ContentHash)))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		return nil, &Error{Reason: BadSignature, Err: err}
	}
	return cert, nil
}

// VerifyRequest reads the signing headers from r and verifies them against
// [RequestURL](r) and body, the bytes read from r.Body.
func (v *Verifier) VerifyRequest(r *http.Request, body []byte) (*x509.Certificate, error) {
	h, err := HeadersFrom(r.Header)
	if err != nil {
		return nil, err
	}
	return v.Verify(r.Method, RequestURL(r), h, body)
}

// RequestURL reconstructs the full URL a server received r on:
// scheme://host[:port]/path[?query], with the scheme taken from r.TLS, the
// host from r.Host and the rest from r.URL.RequestURI(). Behind a proxy that
// terminates TLS or rewrites the host, build the URL from the proxy's view
// instead.
func RequestURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.RequestURI()
}

// CertificateFingerprint returns the lower-case hex SHA-256 of cert's DER
// encoding, for comparing a request's certificate with a registered one.
func CertificateFingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(sum[:])
}
