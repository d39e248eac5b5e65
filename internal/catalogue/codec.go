package catalogue

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Decode returns the typed payload of a payload object (the value of
// "payload"), choosing the type from S0.interfaceID and S0.eventCode. Unknown
// keys are an error. Decode does not validate: run a Validator first on bytes
// from outside.
func (c *Catalogue) Decode(payload []byte) (Payload, error) {
	sc := scanner{data: payload}
	p0 := sc.findS0([]string{"CommonBlock", "S0"})
	iid, ev := string(p0.iid), string(p0.event)
	v, ok := c.Variant(iid, ev)
	if !ok {
		return nil, fmt.Errorf("catalogue: no variant for interfaceID %q eventCode %q", iid, ev)
	}
	p, err := New(v)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(payload))
	d.DisallowUnknownFields()
	if err := d.Decode(p); err != nil {
		return nil, fmt.Errorf("catalogue: decode %s %s: %w", iid, ev, err)
	}
	return p, nil
}

// Message is one item of a DIP message array: {"payload": …}. The payload
// stays as bytes, exactly as received, so the DIP stores and forwards what
// the sender signed; services decode it with Catalogue.Decode.
type Message struct {
	Payload json.RawMessage `json:"payload"`
}
