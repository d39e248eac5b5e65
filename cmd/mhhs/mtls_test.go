package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testCA issues TLS certificates for the mTLS test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T) *testCA {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mhhs test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns PEM certificate and key for a server (127.0.0.1) or client.
func (ca *testCA) issue(t *testing.T, server bool) (certPEM, keyPEM []byte) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "mhhs test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	if server {
		tmpl.ExtKeyUsage, tmpl.IPAddresses = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, []net.IP{net.IPv4(127, 0, 0, 1)}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// TestMutualTLS serves the DIP over HTTPS requiring client certificates from
// a CA: a participant presenting one is served; one without is refused in the
// TLS handshake, before any request is read.
func TestMutualTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("boots mhhs serve and generates RSA keys")
	}
	data := t.TempDir()
	ca := newTestCA(t)
	srvCert, srvKey := ca.issue(t, true)
	cliCert, cliKey := ca.issue(t, false)
	write := func(name string, b []byte) string {
		p := filepath.Join(data, name)
		os.WriteFile(p, b, 0o600)
		return p
	}
	h := startDIP(t, data, "--tls-cert", write("srv.pem", srvCert), "--tls-key", write("srv-key.pem", srvKey), "--client-ca", write("ca.pem", ca.pem))
	if h.url[:8] != "https://" {
		t.Fatalf("serve did not announce HTTPS: %s", h.url)
	}
	sds := addParty(t, data, h.url, sdsID, "SDS")
	addParty(t, data, h.url, mdsID, "MDS")
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.pem)
	pair, err := tls.X509KeyPair(cliCert, cliKey)
	if err != nil {
		t.Fatal(err)
	}
	with := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}}}}
	without := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}

	sds.client.HTTP = with
	r, err := sds.client.Send(context.Background(), "IF-021", if021(t, 1))
	if err != nil || r.Status != 201 {
		t.Fatalf("with a client certificate: %v %v", err, r)
	}
	sds.client.HTTP = without
	if r, err := sds.client.Send(context.Background(), "IF-021", if021(t, 2)); err == nil {
		t.Fatalf("without a client certificate the DIP answered %d", r.Status)
	}
}
