package dip

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/mhhs/mhhs/internal/catalogue"
)

// MaskRule withholds personal data: the Fields of every Block in a payload
// are set to null for recipients whose role is not Entitled.
type MaskRule struct {
	Block    string   `json:"block"`
	Fields   []string `json:"fields"`
	Entitled []string `json:"entitled"`
}

// Masking is the set of masking rules the DIP applies on delivery and
// replay. The public record says the DIP may mask recipient-specific values
// but not which (reference §1c); DefaultMasking is mhhs's documented default
// and LoadMasking reads another from JSON.
type Masking struct {
	Rules []MaskRule `json:"rules"`
}

// DefaultMasking withholds the metering point address (B022: postcode and
// address lines, all nullable) from roles that do not deal with the premises:
// data services, MDS, LSS, ECS, ISD and MDRs. Supplier, LDSO, REGS, the
// metering services, EES and DCC receive it. An assumption, marked as such in
// docs/routing.md.
func DefaultMasking() *Masking {
	return &Masking{Rules: []MaskRule{{
		Block: "B022",
		Fields: []string{"meteringPointPostcode", "addressLine1", "addressLine2", "addressLine3", "addressLine4",
			"addressLine5", "addressLine6", "addressLine7", "addressLine8", "addressLine9"},
		Entitled: []string{"SUP", "LDSO", "REGS", "MSS", "MSA", "UMSO", "EES", "DCC"},
	}}}
}

// LoadMasking reads masking rules from JSON ({"rules": [...]}) and checks
// that every masked field exists in its block and is nullable, so masked
// payloads stay valid.
func LoadMasking(r io.Reader, c *catalogue.Catalogue) (*Masking, error) {
	var m Masking
	d := json.NewDecoder(r)
	d.DisallowUnknownFields()
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("dip: masking rules: %w", err)
	}
	for _, rule := range m.Rules {
		b, ok := c.Block(rule.Block)
		if !ok {
			return nil, fmt.Errorf("dip: masking rule: no block %q", rule.Block)
		}
		for _, f := range rule.Fields {
			fd, ok := b.Field(f)
			if !ok || !fd.Nullable {
				return nil, fmt.Errorf("dip: masking rule: %s.%s is not a nullable field", rule.Block, f)
			}
		}
	}
	return &m, nil
}

// Apply returns the body as a recipient with role may see it.
func (m *Masking) Apply(body []byte, role string) ([]byte, error) {
	if m == nil {
		return body, nil
	}
	for _, r := range m.Rules {
		if slices.Contains(r.Entitled, role) {
			continue
		}
		var err error
		if body, err = catalogue.MaskFields(body, r.Block, r.Fields); err != nil {
			return nil, err
		}
	}
	return body, nil
}
