package catalogue

import (
	"encoding/json"

	"github.com/mhhs/mhhs/internal/market"
)

// Common is the CommonBlock of any payload, as pointers into it: a service
// reads and sets the sender, the MPAN, the response and the addressing of
// a message without knowing its variant. A block the variant does not have
// is nil; an optional block the variant has (A0, D0, an optional R0) is
// never nil, and is omitted from the encoding while zero.
type Common struct {
	S0 *S0
	S1 *S1
	S2 *S1 // IF-016's original sender
	M0 *M0
	M1 *M1
	R0 *R0
	R1 *R0 // IF-016's original response
	A0 *A0
	D0 *D0
	P0 *P0
}

// MPAN returns the MPAN the message is about (M0.MPANCore or
// M1.principalMPAN), or "".
func (c Common) MPAN() market.MPAN {
	switch {
	case c.M0 != nil:
		return c.M0.MPANCore
	case c.M1 != nil:
		return c.M1.PrincipalMPAN
	}
	return ""
}

// To sets the message's primary recipients (A0.primaryRecipients), the
// parties the sender addresses it to, and returns p.
func To[P Payload](p P, dipIDs ...string) P {
	p.Common().A0.PrimaryRecipients = append(Recipients(nil), dipIDs...)
	return p
}

// Recipients is a list of DIP ids, as A0 holds them. Decoding drops null
// items: the contract allows them, but they name nobody, and the DIP's
// routing ignores them too.
type Recipients []string

// UnmarshalJSON decodes a JSON array of DIP ids, dropping nulls.
func (r *Recipients) UnmarshalJSON(b []byte) error {
	var raw []*string
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(Recipients, 0, len(raw))
	for _, id := range raw {
		if id != nil {
			out = append(out, *id)
		}
	}
	*r = out
	return nil
}
