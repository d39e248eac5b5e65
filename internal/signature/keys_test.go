package signature

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLoadKeyPair(t *testing.T) {
	fx := newFixture(t, "load")
	other := newFixture(t, "other")
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(fx.key)})
	crlf := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }

	for _, tt := range []struct {
		name            string
		keyPEM, certPEM []byte
	}{
		{"PKCS #8", fx.keyPEM, fx.certPEM},
		{"PKCS #1", pkcs1, fx.certPEM},
		{"CRLF", crlf(fx.keyPEM), crlf(fx.certPEM)},
		{"combined file as key", append(append([]byte{}, fx.certPEM...), fx.keyPEM...), fx.certPEM},
	} {
		key, certPEM, err := LoadKeyPair(tt.keyPEM, tt.certPEM)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !key.Equal(fx.key) {
			t.Errorf("%s: wrong key", tt.name)
		}
		if !bytes.Equal(certPEM, fx.certPEM) {
			t.Errorf("%s: certificate PEM\n%q\nwant\n%q", tt.name, certPEM, fx.certPEM)
		}
	}

	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name            string
		keyPEM, certPEM []byte
	}{
		{"mismatched certificate", fx.keyPEM, other.certPEM},
		{"no key", fx.certPEM, fx.certPEM},
		{"empty key", nil, fx.certPEM},
		{"empty certificate", fx.keyPEM, nil},
		{"ECDSA key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}), fx.certPEM},
		{"encrypted PKCS #8", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}), fx.certPEM},
		{"encrypted PKCS #1", pem.EncodeToMemory(&pem.Block{
			Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}, Bytes: []byte{1},
		}), fx.certPEM},
		{"corrupt PKCS #1", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{1, 2, 3}}), fx.certPEM},
		{"corrupt PKCS #8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}), fx.certPEM},
		{"key in certificate PEM", fx.keyPEM, append(append([]byte{}, fx.certPEM...), fx.keyPEM...)},
	} {
		if _, _, err := LoadKeyPair(tt.keyPEM, tt.certPEM); err == nil {
			t.Errorf("%s: LoadKeyPair succeeded", tt.name)
		}
	}
}

func TestLoadKeyPairFiles(t *testing.T) {
	fx := newFixture(t, "files")
	dir := t.TempDir()
	keyFile, certFile := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(keyFile, fx.keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, fx.certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	key, certPEM, err := LoadKeyPairFiles(keyFile, certFile)
	if err != nil {
		t.Fatal(err)
	}
	if !key.Equal(fx.key) || !bytes.Equal(certPEM, fx.certPEM) {
		t.Error("LoadKeyPairFiles returned different key material")
	}
	if _, _, err := LoadKeyPairFiles(filepath.Join(dir, "missing.pem"), certFile); err == nil {
		t.Error("LoadKeyPairFiles succeeded with a missing key file")
	}
	if _, _, err := LoadKeyPairFiles(keyFile, filepath.Join(dir, "missing.pem")); err == nil {
		t.Error("LoadKeyPairFiles succeeded with a missing certificate file")
	}
}

func TestGenerateSelfSigned(t *testing.T) {
	now := time.Date(2026, 3, 29, 1, 30, 0, 500, time.FixedZone("BST", 3600))
	keyPEM, certPEM, err := GenerateSelfSigned("Demo Supplier", 1024, now)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := pem.Decode(keyPEM); b == nil || b.Type != "PRIVATE KEY" {
		t.Errorf("key PEM is not PKCS #8: %q", keyPEM)
	}
	key, _, err := LoadKeyPair(keyPEM, certPEM)
	if err != nil {
		t.Fatal(err)
	}
	if key.N.BitLen() != 1024 {
		t.Errorf("key is %d bits, want 1024", key.N.BitLen())
	}
	b, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "Demo Supplier" {
		t.Errorf("CN = %q", cert.Subject.CommonName)
	}
	if want := now.Truncate(time.Second); !cert.NotBefore.Equal(want) {
		t.Errorf("NotBefore = %s, want %s", cert.NotBefore, want)
	}
	if want := now.Truncate(time.Second).AddDate(1, 0, 0); !cert.NotAfter.Equal(want) {
		t.Errorf("NotAfter = %s, want %s", cert.NotAfter, want)
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Errorf("certificate is not self-signed: %v", err)
	}

	if _, _, err := GenerateSelfSigned("small", 512, now); err == nil {
		t.Error("GenerateSelfSigned accepted a 512-bit key")
	}
}
