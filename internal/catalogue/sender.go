package catalogue

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mhhs/mhhs/internal/market"
)

// Sender is a participant as the sender of messages: it fills S1 (the
// sender block) with valid, unique sender references. A Sender is safe for
// concurrent use; use it by pointer.
type Sender struct {
	DIPID       string           // the sender's DIP id: 10 hexadecimal digits
	Role        string           // the role it sends as (SUP, REGS, …)
	Environment Environment      // S1.environmentTag; "" is EnvironmentDEV
	Now         func() time.Time // the clock; nil is time.Now
	seq         atomic.Uint64
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sender) env() Environment {
	if s.Environment == "" {
		return EnvironmentDEV
	}
	return s.Environment
}

// Reference returns the senderUniqueReference for a message on interface
// iface dated day with suffix key:
// S-IF-031-<DIP id>-<role>-<yyyymmdd>-<key>. The same arguments give the
// same reference, which the DIP accepts once: a message sent again after a
// crash with the reference it was first sent with is refused as a
// duplicate (MSG3001) instead of delivered twice. key must be letters and
// digits (Key makes one from anything).
func (s *Sender) Reference(iface string, day time.Time, key string) string {
	return "S-" + iface + "-" + s.DIPID + "-" + s.Role + "-" + day.Format("20060102") + "-" + key
}

// Key returns a reference suffix derived from parts: 20 hexadecimal digits
// of their SHA-256, so that a message caused by a given input (a request's
// transaction id, a version number) has the same reference however often
// it is made.
func Key(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:10])
}

// uniqueKey returns a reference suffix no other call of this process
// returns: the clock in base 36, a per-sender sequence and random letters
// against other processes sending as the same participant.
func (s *Sender) uniqueKey(now time.Time) string {
	var r [3]byte
	rand.Read(r[:])
	return strings.ToUpper(strconv.FormatInt(now.UnixNano(), 36) + strconv.FormatUint(s.seq.Add(1), 36) + hex.EncodeToString(r[:]))
}

// Stamp fills p's S1 as sent now, with a reference no other message has.
// The correlation id, sub-text and connection provider already in S1 are
// kept.
func (s *Sender) Stamp(p Payload) {
	now := s.now()
	s.stamp(p, now, s.Reference(p.Variant().InterfaceID, now.UTC(), s.uniqueKey(now)))
}

// StampKey fills p's S1 as sent now, with the reference
// Reference(interface, day, key): the same message made again (after a
// crash) gets the same reference, and the DIP refuses the second copy.
func (s *Sender) StampKey(p Payload, day time.Time, key string) {
	s.stamp(p, s.now(), s.Reference(p.Variant().InterfaceID, day.UTC(), key))
}

func (s *Sender) stamp(p Payload, now time.Time, ref string) {
	s1 := p.Common().S1
	s1.EnvironmentTag = s.env()
	s1.SenderUniqueReference = ref
	s1.SenderTimestamp = market.At(now.UTC())
	s1.SenderDIPID = s.DIPID
	s1.SenderRoleID = s.Role
}

// ErrNotAnAnswer is returned by Reply for a response that does not answer
// the request (see Catalogue.Answers).
var ErrNotAnAnswer = errors.New("catalogue: not an answer to that request")

// ReplyTo makes resp the answer to the request in, from s: it stamps S1
// with a reference derived from the request (its DIP transaction id, else
// its sender's reference) and resp's variant, so that answering the same
// request again makes the same reference and the DIP delivers the answer
// once; it addresses resp to the request's sender (A0.primaryRecipients);
// it carries the conversation's correlation id (the request's
// D0.initialCorrelationID, else its S1.senderCorrelationID, else its sender
// reference when that fits); and it copies the request's M0 or M1 where
// resp has one not yet set. part tells apart several answers of the same
// variant to one request (usually none). The type of resp must answer the
// type of in: answering IF-031 [MSApp] with anything but IF-032
// [MSAppInitialResp] does not compile.
func ReplyTo[Req Payload, Resp Answer[Req]](s *Sender, in Req, resp Resp, part ...string) error {
	return s.reply(in, resp, part)
}

// Reply is ReplyTo for payloads whose types are known only at run time: it
// returns ErrNotAnAnswer when resp's variant does not answer in's.
func (s *Sender) Reply(in, resp Payload, part ...string) error {
	ok := false
	for _, a := range flowTable[in.Variant().Key()].answers {
		if a == resp.Variant().Key() {
			ok = true
		}
	}
	if !ok {
		return fmt.Errorf("%w: %s does not answer %s", ErrNotAnAnswer, resp.Variant().Key(), in.Variant().Key())
	}
	return s.reply(in, resp, part)
}

func (s *Sender) reply(in, resp Payload, part []string) error {
	ic, rc := in.Common(), resp.Common()
	if ic.S1.SenderDIPID == "" {
		return errors.New("catalogue: reply: the request has no sender")
	}
	origin, day := ic.S1.SenderUniqueReference, ic.S1.SenderTimestamp
	if ic.D0 != nil && ic.D0.TransactionID != "" {
		origin, day = ic.D0.TransactionID, ic.D0.TransactionTimestamp
	}
	if day.IsZero() {
		return errors.New("catalogue: reply: the request has neither a transaction timestamp nor a sender timestamp")
	}
	key := Key(append([]string{origin, resp.Variant().Key()}, part...)...)
	s.StampKey(resp, day.Time(), key)
	rc.S1.SenderCorrelationID = correlation(ic)
	rc.A0.PrimaryRecipients = Recipients{ic.S1.SenderDIPID}
	if rc.M0 != nil && ic.M0 != nil && rc.M0.MPANCore == "" {
		*rc.M0 = *ic.M0
	}
	if rc.M1 != nil && ic.M1 != nil && rc.M1.PrincipalMPAN == "" {
		*rc.M1 = *ic.M1
	}
	return nil
}

// correlationLimit is the length of DT-011N-CorrelationID.
const correlationLimit = 60

// correlation returns the correlation id an answer to c carries.
func correlation(c Common) *string {
	for _, id := range []*string{initialCorrelation(c), c.S1.SenderCorrelationID} {
		if id != nil && *id != "" {
			v := *id
			return &v
		}
	}
	if ref := c.S1.SenderUniqueReference; ref != "" && len(ref) <= correlationLimit {
		return &ref
	}
	return nil
}

func initialCorrelation(c Common) *string {
	if c.D0 == nil {
		return nil
	}
	return c.D0.InitialCorrelationID
}
