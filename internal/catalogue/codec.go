package catalogue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// InvalidError reports a payload that breaks the contract: the findings of
// the validator, as the DIP would report them.
type InvalidError struct {
	Variant  *Variant // nil when no variant could be chosen
	Findings []Finding
}

func (e *InvalidError) Error() string {
	name := "payload"
	if e.Variant != nil {
		name = e.Variant.InterfaceID + " " + e.Variant.EventCode
	}
	var b strings.Builder
	fmt.Fprintf(&b, "catalogue: invalid %s: %d finding(s)", name, len(e.Findings))
	for i, f := range e.Findings {
		if i == 3 {
			b.WriteString("; …")
			break
		}
		b.WriteString("; " + f.String())
	}
	return b.String()
}

// ErrInvalid is what an *InvalidError matches with errors.Is.
var ErrInvalid = errors.New("catalogue: invalid payload")

// Is reports whether target is ErrInvalid.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Decode validates a payload object (the value of "payload", not the
// {"payload": …} item that wraps it) as the DIP's intake does, and returns
// its typed value, chosen by S0.interfaceID and S0.eventCode. A payload
// that breaks the contract returns an *InvalidError with the findings: what
// Decode accepts is exactly what the DIP accepts.
func (c *Catalogue) Decode(payload []byte) (Payload, error) {
	p, findings, err := c.DecodeValid(payload)
	if err != nil {
		return nil, err
	}
	if len(findings) > 0 {
		var v *Variant
		if p != nil {
			v = p.Variant()
		}
		return nil, &InvalidError{Variant: v, Findings: findings}
	}
	return p, nil
}

// DecodeValid validates a payload object and decodes it when it is valid.
// It returns the findings of an invalid payload (and a nil Payload), or an
// error for bytes that are not a JSON object.
func (c *Catalogue) DecodeValid(payload []byte) (Payload, []Finding, error) {
	val := c.validator()
	verdict, err := val.ValidatePayload("", payload)
	c.release(val)
	if err != nil {
		return nil, nil, fmt.Errorf("catalogue: decode: %w", err)
	}
	if verdict.Variant == nil && len(payload) > 0 && isWrapped(payload) {
		return nil, nil, errors.New(`catalogue: decode: this is a message array item {"payload": …}; pass the payload object itself`)
	}
	if !verdict.OK() {
		return nil, verdict.Findings, nil
	}
	p, err := New(verdict.Variant)
	if err != nil {
		return nil, nil, err
	}
	d := json.NewDecoder(bytes.NewReader(payload))
	d.DisallowUnknownFields()
	if err := d.Decode(p); err != nil {
		// The validator accepted it, so this is a fault of the typed
		// structs, not of the payload.
		return nil, nil, fmt.Errorf("catalogue: decode %s %s: %w", verdict.Variant.InterfaceID, verdict.Variant.EventCode, err)
	}
	return p, nil, nil
}

// isWrapped reports whether payload looks like {"payload": {…}}.
func isWrapped(payload []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(payload, &probe) != nil {
		return false
	}
	_, ok := probe["payload"]
	return ok && len(probe) == 1
}

// Message is one item of a DIP message array: {"payload": …}. The payload
// stays as bytes, exactly as received, so the DIP stores and forwards what
// the sender signed; services decode it with Catalogue.Decode.
type Message struct {
	Payload json.RawMessage `json:"payload"`
}

// Encode returns the payload's JSON: S0 as the payload's variant has it
// (the newest schema version unless S0 names one), nullable keys as null,
// required arrays as [] when nil. It does not change p. It fails if S0
// names another variant or a required date-time is unset; it does not
// validate: EncodeValid does.
func Encode(p Payload) ([]byte, error) {
	v := p.Variant()
	h := p.header()
	want := S0{InterfaceID: v.InterfaceID, EventCode: v.EventCode, SchemaVersion: h.SchemaVersion}
	if want.SchemaVersion == "" {
		want.SchemaVersion = v.SchemaVersions[len(v.SchemaVersions)-1]
	}
	if h.InterfaceID != "" && h.InterfaceID != v.InterfaceID || h.EventCode != "" && h.EventCode != v.EventCode {
		return nil, fmt.Errorf("catalogue: S0 names %s %s but the payload is %s %s", h.InterfaceID, h.EventCode, v.InterfaceID, v.EventCode)
	}
	if *h != want {
		p = shallowCopy(p)
		*p.header() = want
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("catalogue: encode %s %s: %w", v.InterfaceID, v.EventCode, err)
	}
	return b, nil
}

// EncodeValid encodes p as Encode does and validates the result as the
// DIP's intake would. It returns the bytes and the findings: a message with
// findings would be refused, and should not be sent.
func EncodeValid(p Payload) ([]byte, []Finding, error) {
	b, err := Encode(p)
	if err != nil {
		return nil, nil, err
	}
	c := Default()
	val := c.validator()
	verdict, err := val.ValidatePayload(p.Variant().InterfaceID, b)
	c.release(val)
	if err != nil {
		return nil, nil, fmt.Errorf("catalogue: encode: %w", err)
	}
	return b, verdict.Findings, nil
}

// shallowCopy returns a copy of the struct p points to.
func shallowCopy(p Payload) Payload {
	rv := reflect.ValueOf(p).Elem()
	cp := reflect.New(rv.Type())
	cp.Elem().Set(rv)
	return cp.Interface().(Payload)
}
