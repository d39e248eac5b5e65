package catalogue

import (
	"encoding/json"
	"fmt"
)

// S0 is the CommonBlock header naming the interface, schema version and event.
// Its allowed values depend on the variant, so Encode fills it from the
// payload's type.
type S0 struct {
	InterfaceID   string `json:"interfaceID"`
	SchemaVersion string `json:"schemaVersion"`
	EventCode     string `json:"eventCode"`
}

// Payload is the typed payload of one event variant (IF021ActivePower, …).
// Every generated payload type implements it.
type Payload interface {
	// Variant returns the catalogue entry the type was generated from.
	Variant() *Variant
	header() *S0
}

// Encode returns the payload's JSON. It fills S0 from the payload's variant
// (the newest schema version unless one is set) and fails if S0 names another
// variant.
func Encode(p Payload) ([]byte, error) {
	v := p.Variant()
	h := p.header()
	if h.InterfaceID == "" {
		h.InterfaceID = v.InterfaceID
	}
	if h.EventCode == "" {
		h.EventCode = v.EventCode
	}
	if h.SchemaVersion == "" {
		h.SchemaVersion = v.SchemaVersions[len(v.SchemaVersions)-1]
	}
	if h.InterfaceID != v.InterfaceID || h.EventCode != v.EventCode {
		return nil, fmt.Errorf("catalogue: S0 names %s %s but the payload is %s %s", h.InterfaceID, h.EventCode, v.InterfaceID, v.EventCode)
	}
	return json.Marshal(p)
}

// New returns an empty typed payload for the variant, with S0 filled.
func New(v *Variant) (Payload, error) {
	mk, ok := payloadConstructors[v.InterfaceID+" "+v.EventCode]
	if !ok {
		return nil, fmt.Errorf("catalogue: no payload type for %s %s", v.InterfaceID, v.EventCode)
	}
	p := mk()
	*p.header() = S0{InterfaceID: v.InterfaceID, EventCode: v.EventCode, SchemaVersion: v.SchemaVersions[len(v.SchemaVersions)-1]}
	return p, nil
}
