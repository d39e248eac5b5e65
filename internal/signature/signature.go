package signature

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Header names of the DIP signing scheme.
const (
	HeaderDate        = "X-DIP-Signature-Date"
	HeaderContentHash = "X-DIP-Content-Hash"
	HeaderCertificate = "X-DIP-Signature-Certificate"
	HeaderSignature   = "X-DIP-Signature"
)

// DateLayout is the time layout of the X-DIP-Signature-Date header: UTC with
// exactly three fractional digits and a literal Z, e.g. 2025-06-27T14:29:09.061Z.
const DateLayout = "2006-01-02T15:04:05.000Z"

// Headers are the four signing headers of one request, as sent on the wire.
type Headers struct {
	Date        string // X-DIP-Signature-Date
	ContentHash string // X-DIP-Content-Hash
	Certificate string // X-DIP-Signature-Certificate
	Signature   string // X-DIP-Signature
}

// Set writes the four headers into h, replacing any previous values.
func (hs Headers) Set(h http.Header) {
	h.Set(HeaderDate, hs.Date)
	h.Set(HeaderContentHash, hs.ContentHash)
	h.Set(HeaderCertificate, hs.Certificate)
	h.Set(HeaderSignature, hs.Signature)
}

// HeadersFrom reads the four signing headers from h. If any is absent or
// empty it returns the headers it found and an [*Error] with reason
// [MissingHeader] naming every missing header. When a header is repeated the
// first value is used.
func HeadersFrom(h http.Header) (Headers, error) {
	hs := Headers{
		Date:        h.Get(HeaderDate),
		ContentHash: h.Get(HeaderContentHash),
		Certificate: h.Get(HeaderCertificate),
		Signature:   h.Get(HeaderSignature),
	}
	return hs, hs.checkPresent()
}

// checkPresent reports every empty header as one MissingHeader error.
func (hs Headers) checkPresent() error {
	var missing []string
	for _, f := range []struct{ name, value string }{
		{HeaderDate, hs.Date},
		{HeaderContentHash, hs.ContentHash},
		{HeaderCertificate, hs.Certificate},
		{HeaderSignature, hs.Signature},
	} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return &Error{Reason: MissingHeader, Err: errors.New(strings.Join(missing, ", "))}
	}
	return nil
}

// BodyHash returns the X-DIP-Content-Hash value for body: standard padded
// base64 of its SHA-256. An empty or nil body hashes the empty string.
func BodyHash(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// SigningString returns the string that X-DIP-Signature signs:
// UPPER(method) + ";" + lower(fullURL) + ";" + date + ";" + contentHash.
func SigningString(method, fullURL, date, contentHash string) string {
	return strings.ToUpper(method) + ";" + strings.ToLower(fullURL) + ";" + date + ";" + contentHash
}

// A Signer signs outgoing requests with one participant's key and
// certificate. Create it with [NewSigner]; it is safe for concurrent use.
type Signer struct {
	// Now returns the signing time; nil means time.Now.
	Now func() time.Time

	key     *rsa.PrivateKey
	certPEM []byte            // CRLF normalised to LF
	cert    *x509.Certificate // first certificate in certPEM
	certHdr string            // base64 of certPEM
}

// NewSigner returns a Signer for key and the PEM text of its X.509
// certificate. certPEM may hold a chain; its first certificate must carry
// key's public key. CRLF line endings are normalised to LF. certPEM must not
// contain anything but certificates, since it is sent in every request.
func NewSigner(key *rsa.PrivateKey, certPEM []byte) (*Signer, error) {
	if key == nil {
		return nil, errors.New("signature: nil private key")
	}
	certPEM = normalisePEM(certPEM)
	cert, err := parseCertificatePEM(certPEM)
	if err != nil {
		return nil, err
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("signature: certificate key is %T, not RSA", cert.PublicKey)
	}
	if !pub.Equal(&key.PublicKey) {
		return nil, errors.New("signature: certificate does not match private key")
	}
	return &Signer{
		key:     key,
		certPEM: certPEM,
		cert:    cert,
		certHdr: base64.StdEncoding.EncodeToString(certPEM),
	}, nil
}

// Certificate returns the signer's certificate, for registering its
// [CertificateFingerprint] with a counterparty.
func (s *Signer) Certificate() *x509.Certificate { return s.cert }

// CertificatePEM returns the signer's certificate PEM text as sent, with LF
// line endings. The caller must not modify it.
func (s *Signer) CertificatePEM() []byte { return s.certPEM }

// Sign returns the signing headers for a request with the given method, full
// URL (scheme://host[:port]/path[?query], as requested) and exact body bytes.
func (s *Signer) Sign(method, fullURL string, body []byte) (Headers, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	hs := Headers{
		Date:        now().UTC().Format(DateLayout),
		ContentHash: BodyHash(body),
		Certificate: s.certHdr,
	}
	digest := sha256.Sum256([]byte(SigningString(method, fullURL, hs.Date, hs.ContentHash)))
	sig, err := rsa.SignPKCS1v15(nil, s.key, crypto.SHA256, digest[:])
	if err != nil {
		return Headers{}, fmt.Errorf("signature: sign: %w", err)
	}
	hs.Signature = base64.StdEncoding.EncodeToString(sig)
	return hs, nil
}

// SignRequest signs r, whose body is body, and sets the four headers on it.
// The full URL is r.URL.String() without user information or fragment, which
// are never sent; an empty path is signed as "/", as it is requested. r.URL
// must be absolute. SignRequest does not read or replace r.Body: the caller
// must send exactly body.
func (s *Signer) SignRequest(r *http.Request, body []byte) error {
	if r.URL == nil || r.URL.Scheme == "" || r.URL.Host == "" {
		return errors.New("signature: request URL is not absolute")
	}
	u := *r.URL
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" && u.RawPath == "" && u.Opaque == "" {
		u.Path = "/"
	}
	hs, err := s.Sign(r.Method, u.String(), body)
	if err != nil {
		return err
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	hs.Set(r.Header)
	return nil
}

// normalisePEM returns a copy of p with CRLF replaced by LF.
func normalisePEM(p []byte) []byte {
	return bytes.ReplaceAll(p, []byte("\r\n"), []byte("\n"))
}

// parseCertificatePEM parses the first block of p, which must be a
// certificate, and rejects any block that is not a certificate.
func parseCertificatePEM(p []byte) (*x509.Certificate, error) {
	var first *pem.Block
	for rest := p; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("signature: certificate PEM holds a %q block", b.Type)
		}
		if first == nil {
			first = b
		}
	}
	if first == nil {
		return nil, errors.New("signature: no CERTIFICATE block in PEM")
	}
	cert, err := x509.ParseCertificate(first.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signature: parse certificate: %w", err)
	}
	return cert, nil
}
