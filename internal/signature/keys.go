package signature

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"
)

// LoadKeyPair parses an RSA private key (PEM "RSA PRIVATE KEY", PKCS #1, or
// "PRIVATE KEY", PKCS #8) and its certificate PEM, checks that they match,
// and returns the key and the certificate PEM with CRLF normalised to LF,
// ready for [NewSigner]. Blocks other than the key in keyPEM are skipped, so
// a combined key-and-certificate file may be passed as keyPEM; certPEM must
// hold only certificates. Encrypted keys are not supported.
func LoadKeyPair(keyPEM, certPEM []byte) (*rsa.PrivateKey, []byte, error) {
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, nil, err
	}
	s, err := NewSigner(key, certPEM)
	if err != nil {
		return nil, nil, err
	}
	return key, s.certPEM, nil
}

// LoadKeyPairFiles reads keyFile and certFile and calls [LoadKeyPair].
func LoadKeyPairFiles(keyFile, certFile string) (*rsa.PrivateKey, []byte, error) {
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("signature: %w", err)
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, fmt.Errorf("signature: %w", err)
	}
	return LoadKeyPair(keyPEM, certPEM)
}

func parsePrivateKey(keyPEM []byte) (*rsa.PrivateKey, error) {
	for rest := keyPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, errors.New("signature: no RSA PRIVATE KEY or PRIVATE KEY block in key PEM")
		}
		switch b.Type {
		case "RSA PRIVATE KEY":
			if _, encrypted := b.Headers["DEK-Info"]; encrypted {
				return nil, errors.New("signature: encrypted private keys are not supported")
			}
			key, err := x509.ParsePKCS1PrivateKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("signature: parse PKCS #1 key: %w", err)
			}
			return key, nil
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("signature: parse PKCS #8 key: %w", err)
			}
			key, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("signature: private key is %T, not RSA", k)
			}
			return key, nil
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("signature: encrypted private keys are not supported")
		}
	}
}

// GenerateSelfSigned returns a new RSA key of the given size (PEM PKCS #8)
// and a self-signed certificate for it (PEM) with the given common name,
// valid for a year from now. It is for tests and the demo market: use 2048
// bits or more for anything real; tests may use 1024, the least crypto/rsa
// accepts.
func GenerateSelfSigned(commonName string, bits int, now time.Time) (keyPEM, certPEM []byte, err error) {
	if bits < 1024 {
		return nil, nil, fmt.Errorf("signature: %d-bit RSA key is too small", bits)
	}
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, nil, fmt.Errorf("signature: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("signature: serial number: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.UTC().Truncate(time.Second),
		NotAfter:              now.UTC().Truncate(time.Second).AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("signature: create certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("signature: marshal key: %w", err)
	}
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return keyPEM, certPEM, nil
}

// ParseCertificatePEM parses a PEM document holding one certificate (the
// form participants register and send in X-DIP-Signature-Certificate).
func ParseCertificatePEM(p []byte) (*x509.Certificate, error) { return parseCertificatePEM(p) }
