package signature

import (
	"crypto/rsa"
	"errors"
	"math/big"
	"net/url"
	"testing"
	"time"
)

// testNow is the fixed clock of the tests: the example date of the DIP
// signing scheme, 2025-06-27T14:29:09.061Z.
var testNow = time.Date(2025, 6, 27, 14, 29, 9, 61_000_000, time.UTC)

// fixture is one participant's key material, with a Signer whose clock is
// testNow.
type fixture struct {
	keyPEM, certPEM []byte
	key             *rsa.PrivateKey
	signer          *Signer
}

// newFixture generates a 1024-bit self-signed key pair, the smallest
// crypto/rsa allows, to keep the tests fast.
func newFixture(t testing.TB, commonName string) *fixture {
	t.Helper()
	keyPEM, certPEM, err := GenerateSelfSigned(commonName, 1024, testNow.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	key, cert, err := LoadKeyPair(keyPEM, certPEM)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(key, cert)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = fixedClock(testNow)
	return &fixture{keyPEM: keyPEM, certPEM: certPEM, key: key, signer: s}
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// reasonOf returns the Reason of err, "" for nil, and fails the test if err
// is not an *Error.
func reasonOf(t testing.TB, err error) Reason {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *signature.Error", err, err)
	}
	return e.Reason
}

func mustParseURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// rawRSA applies fx's public key to sig, recovering the padded message.
func rawRSA(fx *fixture, sig []byte) []byte {
	pub := fx.key.PublicKey
	m := new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(pub.E)), pub.N)
	return m.Bytes()
}
