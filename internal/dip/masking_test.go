package dip

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mhhs/mhhs/internal/catalogue"
)

func TestDefaultMasking(t *testing.T) {
	c := catalogue.Default()
	v, _ := c.Variant("IF-036", "[MSAppActive]")
	body := c.Example(v, catalogue.ExampleOptions{Full: true})
	m := DefaultMasking()
	for role, masked := range map[string]bool{"SUP": false, "LDSO": false, "MSS": false, "SDS": true, "MDS": true, "LSS": true} {
		out, err := m.Apply(body, role)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			CustomBlock struct {
				B022 map[string]any `json:"B022"`
			} `json:"CustomBlock"`
		}
		json.Unmarshal(out, &p)
		if got := p.CustomBlock.B022["addressLine1"] == nil; got != masked {
			t.Errorf("role %s: address masked %v, want %v", role, got, masked)
		}
		if vd, err := catalogue.NewValidator(c).ValidatePayload("IF-036", out); err != nil || !vd.OK() {
			t.Errorf("role %s: masked payload invalid: %v %v", role, err, vd.Findings)
		}
	}
	// The default rules are loadable as configuration.
	raw, _ := json.Marshal(m)
	if _, err := LoadMasking(strings.NewReader(string(raw)), c); err != nil {
		t.Errorf("default masking does not load: %v", err)
	}
	for _, bad := range []string{`{"rules":[{"block":"B999","fields":["x"],"entitled":[]}]}`,
		`{"rules":[{"block":"B022","fields":["nope"],"entitled":[]}]}`,
		`{"rules":[{"block":"M0","fields":["MPANCore"],"entitled":[]}]}`, `{"rulez":[]}`} {
		if _, err := LoadMasking(strings.NewReader(bad), c); err == nil {
			t.Errorf("LoadMasking accepted %s", bad)
		}
	}
}
