package regs

import (
	"slices"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

type relationOp int

const (
	relCreate relationOp = iota
	relAdd
	relRemove
)

// relationship decides a supplier's request to maintain an MPAN
// relationship (IF-019), answered with IF-020: a linked import/export
// relationship (an import principal and its export subsidiaries) or a
// related MPAN relationship (a primary and its secondary imports). The
// relationship applies from today (IF-019 carries no date). Members follow
// their principal's metering and data services (scenario ALG).
func (c *call) relationship(in catalogue.Payload) error {
	var (
		resp   catalogue.Payload
		linked bool
		op     relationOp
		custom catalogue.IF019Custom
	)
	switch m := in.(type) {
	case *catalogue.IF019LinkedImportExportCreate:
		custom, linked, op = m.CustomBlock, true, relCreate
		resp = &catalogue.IF020LinkedImportExportCreate{CustomBlock: catalogue.IF020LinkedImportExportCreateCustom{B090List: custom.B090List, B091: custom.B091}}
	case *catalogue.IF019LinkedImportExportAdd:
		custom, linked, op = m.CustomBlock, true, relAdd
		resp = &catalogue.IF020LinkedImportExportAdd{CustomBlock: catalogue.IF020LinkedImportExportAddCustom{B090List: custom.B090List, B091: custom.B091}}
	case *catalogue.IF019LinkedImportExportRemove:
		custom, linked, op = m.CustomBlock, true, relRemove
		resp = &catalogue.IF020LinkedImportExportRemove{CustomBlock: catalogue.IF020LinkedImportExportRemoveCustom{B090List: custom.B090List, B091: custom.B091}}
	case *catalogue.IF019RelatedCreate:
		custom, op = m.CustomBlock, relCreate
		resp = &catalogue.IF020RelatedCreate{CustomBlock: catalogue.IF020RelatedCreateCustom{B090List: custom.B090List, B091: custom.B091}}
	case *catalogue.IF019RelatedAdd:
		custom, op = m.CustomBlock, relAdd
		resp = &catalogue.IF020RelatedAdd{CustomBlock: catalogue.IF020RelatedAddCustom{B090List: custom.B090List, B091: custom.B091}}
	case *catalogue.IF019RelatedRemove:
		custom, op = m.CustomBlock, relRemove
		resp = &catalogue.IF020RelatedRemove{CustomBlock: catalogue.IF020RelatedRemoveCustom{B090List: custom.B090List, B091: custom.B091}}
	}
	common := in.Common()
	principal := common.M1.PrincipalMPAN
	subs := make([]market.MPAN, 0, len(custom.B090List))
	for _, b := range custom.B090List {
		subs = append(subs, b.SubsidiaryMPAN)
	}
	code, regs, err := c.checkRelationship(common.S1.SenderDIPID, principal, subs, linked, op)
	if err != nil {
		return err
	}
	if code != "" {
		return c.rejectWith(resp, code)
	}
	p := regs[0]
	hist := func(r *Registration) *market.History[Group] {
		if linked {
			return &r.Linked
		}
		return &r.Related
	}
	g, _ := hist(p).At(c.today)
	g.Principal = principal
	g.Members = slices.Clone(g.Members)
	switch op {
	case relCreate, relAdd:
		g.Members = append(g.Members, subs...)
	case relRemove:
		g.Members = slices.DeleteFunc(g.Members, func(m market.MPAN) bool { return slices.Contains(subs, m) })
	}
	// Every member keeps the whole group: those the request names, and
	// those already in it.
	touched := slices.Clone(regs)
	for _, m := range g.Members {
		if slices.ContainsFunc(touched, func(r *Registration) bool { return r.MPAN == m }) {
			continue
		}
		r, err := c.get(m)
		if err != nil {
			return err
		}
		if r != nil {
			touched = append(touched, r)
		}
	}
	for _, r := range touched {
		h := hist(r)
		if len(g.Members) == 0 || op == relRemove && slices.Contains(subs, r.MPAN) {
			h.Unset(c.today)
		} else {
			h.Set(c.today, g)
		}
		c.keep(r)
	}
	if linked {
		l := p.b907List(c.today)
		switch m := resp.(type) {
		case *catalogue.IF020LinkedImportExportCreate:
			m.CustomBlock.B907List = l
		case *catalogue.IF020LinkedImportExportAdd:
			m.CustomBlock.B907List = l
		}
	}
	*resp.Common().R0 = accepted()
	if err := c.answer(resp); err != nil {
		return err
	}
	if op == relRemove {
		return nil
	}
	// The members take the principal's services.
	supplier, ok := p.Supplier.At(c.today)
	if !ok {
		return nil
	}
	for _, k := range []catalogue.ServiceKind{catalogue.MeteringService, catalogue.DataService} {
		if err := c.align(p, k, c.today, supplier.Party); err != nil {
			return err
		}
	}
	return nil
}

// checkRelationship applies the rules of an MPAN relationship request and
// returns the principal's and the subsidiaries' registrations, in that
// order, or the first rule broken.
func (c *call) checkRelationship(sender string, principal market.MPAN, subs []market.MPAN, linked bool, op relationOp) (catalogue.RejectionCode, []*Registration, error) {
	all := append([]market.MPAN{principal}, subs...)
	for i, m := range all {
		if slices.Contains(all[:i], m) {
			return catalogue.REG1059, nil, nil // an MPAN twice in the message
		}
	}
	regs := make([]*Registration, len(all))
	for i, m := range all {
		r, err := c.get(m)
		if err != nil {
			return "", nil, err
		}
		if r == nil {
			return catalogue.REG0000, nil, nil
		}
		regs[i] = r
	}
	owned := 0
	for _, r := range regs {
		if r.Switch != nil {
			return catalogue.REG0007, nil, nil // not during a switch
		}
		if m, _ := r.Migrated.At(c.today); !m {
			return catalogue.REG9010, nil, nil // not for an unmigrated MPAN
		}
		seg, _ := r.Segment.At(c.today)
		ct, _ := r.Connection.At(c.today)
		if seg == market.SegmentUnmetered || ct == market.ConnectionUnmetered {
			return catalogue.REG1051, nil, nil // unmetered MPANs cannot be related
		}
		if s, ok := r.Supplier.At(c.today); ok && s.DIPID == sender {
			owned++
		}
	}
	if linked && owned == 0 {
		return catalogue.REG1050, nil, nil // the supplier must own the import or an export
	}
	if !linked && owned != len(regs) {
		return catalogue.REG1060, nil, nil // the supplier must own every MPAN
	}
	direction := func(r *Registration) catalogue.EnergyDirection {
		d, _ := r.Direction.At(c.today)
		return d
	}
	group := func(r *Registration) (Group, bool) {
		if linked {
			return r.Linked.At(c.today)
		}
		return r.Related.At(c.today)
	}
	p := regs[0]
	pg, pIn := group(p)
	if linked {
		switch op {
		case relCreate:
			if direction(p) != catalogue.EnergyDirectionI {
				return catalogue.REG1053, nil, nil // the principal must be an import
			}
			for _, r := range regs {
				if _, in := group(r); in {
					return catalogue.REG1052, nil, nil // already in an import/export relationship
				}
			}
		case relAdd, relRemove:
			if !pIn || pg.Principal != p.MPAN {
				return catalogue.REG1055, nil, nil // the principal is not in an import/export relationship
			}
		}
		for _, r := range regs[1:] {
			g, in := group(r)
			switch op {
			case relCreate, relAdd:
				if direction(r) != catalogue.EnergyDirectionE {
					return catalogue.REG1054, nil, nil // subsidiaries must be exports
				}
				if in && g.Principal == p.MPAN {
					return catalogue.REG1057, nil, nil // already in a relationship with the principal
				}
				if in {
					return catalogue.REG1056, nil, nil // member of another import/export relationship
				}
			case relRemove:
				if !in || g.Principal != p.MPAN {
					return catalogue.REG1058, nil, nil // not in the relationship
				}
			}
		}
		return "", regs, nil
	}
	switch op {
	case relCreate:
		for _, r := range regs {
			if direction(r) != catalogue.EnergyDirectionI {
				return catalogue.REG1067, nil, nil // only imports can be related
			}
			if _, in := group(r); in {
				return catalogue.REG1061, nil, nil // already in a related relationship
			}
		}
	case relAdd, relRemove:
		if !pIn || pg.Principal != p.MPAN {
			return catalogue.REG1062, nil, nil // the principal is not the primary of a relationship
		}
	}
	for _, r := range regs[1:] {
		g, in := group(r)
		switch op {
		case relAdd:
			if direction(r) != catalogue.EnergyDirectionI {
				return catalogue.REG1067, nil, nil
			}
			if in && g.Principal == p.MPAN {
				return catalogue.REG1063, nil, nil // already related to the primary
			}
			if in {
				return catalogue.REG1064, nil, nil // in another relationship
			}
		case relRemove:
			if !in || g.Principal != p.MPAN {
				return catalogue.REG1065, nil, nil // not related to the principal
			}
		}
	}
	return "", regs, nil
}
