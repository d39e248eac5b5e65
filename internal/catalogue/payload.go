package catalogue

import "fmt"

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
	// Common returns the payload's CommonBlock as pointers into it.
	Common() Common
	header() *S0
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
