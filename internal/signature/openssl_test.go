package signature

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenSSLCrossCheck computes the DIP headers with the openssl command
// line, independently of crypto/rsa, and compares them with Sign's.
// PKCS #1 v1.5 signatures are deterministic, so they must match byte for byte.
func TestOpenSSLCrossCheck(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but openssl is not on PATH: the cross-check must run in CI")
		}
		t.Skip("openssl not on PATH")
	}
	fx := newFixture(t, "openssl")
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyFile := write("key.pem", fx.keyPEM)
	certFile := write("cert.pem", fx.certPEM)

	for _, tt := range []struct{ method, url, body string }{
		{"POST", "https://dip.example.co.uk/Send/IF-021?SenderID=ABCDE12345", `{"messageArray":[]}`},
		{"get", "HTTPS://DIP.Example:8443/Replay?Token=AbC", ""},
	} {
		h, err := fx.signer.Sign(tt.method, tt.url, []byte(tt.body))
		if err != nil {
			t.Fatal(err)
		}

		bodyFile := write("body", []byte(tt.body))
		if got := base64.StdEncoding.EncodeToString(openssl(t, "dgst", "-sha256", "-binary", bodyFile)); got != h.ContentHash {
			t.Errorf("%s: openssl content hash %s, Sign %s", tt.url, got, h.ContentHash)
		}

		// The signing string is spelled out here rather than built with
		// SigningString, so that this test checks it too.
		data := strings.ToUpper(tt.method) + ";" + strings.ToLower(tt.url) + ";" + h.Date + ";" + h.ContentHash
		dataFile := write("data", []byte(data))
		sig := openssl(t, "dgst", "-sha256", "-sign", keyFile, dataFile)
		if got := base64.StdEncoding.EncodeToString(sig); got != h.Signature {
			t.Errorf("%s: openssl signature\n%s\nSign\n%s", tt.url, got, h.Signature)
		}

		// And openssl accepts Sign's signature with the certificate's key.
		pubFile := write("pub.pem", openssl(t, "x509", "-in", certFile, "-noout", "-pubkey"))
		ours, _ := base64.StdEncoding.DecodeString(h.Signature)
		sigFile := write("sig", ours)
		if out := openssl(t, "dgst", "-sha256", "-verify", pubFile, "-signature", sigFile, dataFile); !bytes.Contains(out, []byte("Verified OK")) {
			t.Errorf("%s: openssl verify: %s", tt.url, out)
		}
	}

	// Fingerprint: "sha256 Fingerprint=AB:CD:...".
	out := string(openssl(t, "x509", "-in", certFile, "-noout", "-fingerprint", "-sha256"))
	_, fp, ok := strings.Cut(strings.TrimSpace(out), "=")
	if !ok {
		t.Fatalf("openssl fingerprint output %q", out)
	}
	if want := strings.ToLower(strings.ReplaceAll(fp, ":", "")); CertificateFingerprint(fx.signer.Certificate()) != want {
		t.Errorf("CertificateFingerprint = %s, openssl %s", CertificateFingerprint(fx.signer.Certificate()), want)
	}

	// A traditional PKCS #1 key written by openssl loads and signs the same.
	pkcs1 := openssl(t, "rsa", "-in", keyFile, "-traditional")
	if !bytes.Contains(pkcs1, []byte("BEGIN RSA PRIVATE KEY")) {
		t.Fatalf("openssl rsa -traditional wrote %q", pkcs1)
	}
	key, _, err := LoadKeyPair(pkcs1, fx.certPEM)
	if err != nil {
		t.Fatalf("LoadKeyPair(openssl PKCS #1): %v", err)
	}
	if !key.Equal(fx.key) {
		t.Error("openssl PKCS #1 key differs from the PKCS #8 original")
	}
}

func openssl(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}
