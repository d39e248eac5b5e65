package dip

import (
	"encoding/json"
	"slices"
	"time"
)

// PartyRole names which party of an MPAN a change is about.
type PartyRole string

// The parties the DIP keeps per MPAN.
const (
	PartySupplier        PartyRole = "SUP"
	PartyDataService     PartyRole = "DS"
	PartyMeteringService PartyRole = "MS"
	PartyMDR             PartyRole = "MDR"
)

// PartyChange is a change to an MPAN's parties that takes effect at From:
// an appointment or a switch secured for a later date. DIPID "" removes
// the party.
type PartyChange struct {
	From  time.Time `json:"from"`
	Role  PartyRole `json:"role"`
	DIPID string    `json:"dipId"`
}

// field returns the field of p holding role.
func (p *Parties) field(r PartyRole) *string {
	switch r {
	case PartySupplier:
		return &p.Supplier
	case PartyDataService:
		return &p.DataService
	case PartyMeteringService:
		return &p.MeteringService
	case PartyMDR:
		return &p.MDR
	}
	return nil
}

// At returns the parties in force at t: the stored parties with every
// pending change due by t applied, and the later ones still pending.
func (p Parties) At(t time.Time) Parties {
	out := p
	out.Pending = nil
	for _, c := range p.Pending {
		if c.From.After(t) {
			out.Pending = append(out.Pending, c)
			continue
		}
		if f := out.field(c.Role); f != nil {
			*f = c.DIPID
		}
	}
	return out
}

// Eventually returns the parties once every pending change has taken
// effect.
func (p Parties) Eventually() Parties {
	return p.At(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC))
}

// schedule records that role's party becomes id at from: at once if from is
// not after now, else as a pending change (replacing one pending for the
// same role from the same date). It reports whether anything changed.
func (p *Parties) schedule(now, from time.Time, role PartyRole, id string) bool {
	if !from.After(now) {
		f := p.field(role)
		if *f == id {
			return false
		}
		*f = id
		return true
	}
	for i, c := range p.Pending {
		if c.Role == role && c.From.Equal(from) {
			if c.DIPID == id {
				return false
			}
			p.Pending[i].DIPID = id
			return true
		}
	}
	p.Pending = append(p.Pending, PartyChange{From: from, Role: role, DIPID: id})
	slices.SortStableFunc(p.Pending, func(a, b PartyChange) int { return a.From.Compare(b.From) })
	return true
}

// EncodePending writes pending changes in the stored form (JSON; "" when
// none), shared by the store adapters.
func EncodePending(cs []PartyChange) string {
	if len(cs) == 0 {
		return ""
	}
	b, _ := json.Marshal(cs)
	return string(b)
}

// DecodePending reads EncodePending's form.
func DecodePending(s string) []PartyChange {
	if s == "" {
		return nil
	}
	var cs []PartyChange
	if json.Unmarshal([]byte(s), &cs) != nil {
		return nil
	}
	return cs
}
