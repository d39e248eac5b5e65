package dip

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"time"
)

// Participant is a DIP participant: a market party or service that sends to
// and receives from the DIP.
type Participant struct {
	DIPID string   // 10 characters
	Name  string   // display name
	Roles []string // DIP role codes (SUP, SDS, MDS, …)
	MPIDs []string // market participant ids
	// CertFingerprint is the hex SHA-256 of the DER of the registered signing
	// certificate; a request's X-DIP-Signature-Certificate must match it.
	CertFingerprint string
	CertPEM         []byte
	// APIKeyHash is the hex SHA-256 of the participant's X-API-Key. Keys are
	// 256-bit random values, so a fast hash is enough.
	APIKeyHash string
	Disabled   bool
	Created    time.Time
}

// HasRole reports whether the participant holds role.
func (p *Participant) HasRole(role string) bool { return slices.Contains(p.Roles, role) }

// NewAPIKey returns a new random API key and its hash for the registry.
func NewAPIKey() (key, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	key = base64.RawURLEncoding.EncodeToString(b)
	return key, HashAPIKey(key)
}

// HashAPIKey returns the registry form of an API key.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// KeyMatches compares an API key with a stored hash in constant time.
func KeyMatches(key, hash string) bool {
	return subtle.ConstantTimeCompare([]byte(HashAPIKey(key)), []byte(hash)) == 1
}

// StatusChannel is the channel name under which webhooks for status messages
// (POST /statusmessage) are configured.
const StatusChannel = "statusmessage"

// Webhook is a recipient's callback for one channel (pubconfig), or for
// status messages when Channel is StatusChannel.
type Webhook struct {
	Channel         string
	Recipient       string
	CallbackURL     string
	MaxMessageCount int // stored; Elexon says unused
	MaxPayloadSize  int // Kb; stored; Elexon says unused
}
