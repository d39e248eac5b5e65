package dip

import (
	"slices"

	"github.com/mhhs/mhhs/internal/catalogue"
)

// Route is how a recipient was chosen.
type Route string

// Routes, as in the DIP journal's RecipientMap.
const (
	Primary   Route = "Primary"   // named by the sender in A0.primaryRecipients
	Secondary Route = "Secondary" // derived from the MPAN's registration
	Always    Route = "Always"    // every participant holding the role
)

// Rule says which roles receive an interface (or one event of it) by which
// route.
type Rule struct {
	Interface string
	Event     string   // "" for every event of the interface
	Primary   []string // roles a sender may name in A0.primaryRecipients
	Secondary []string // roles resolved from the MPAN's registration
	Always    []string // roles delivered to whoever holds them
	// Answer marks an interface that answers a request (IF-032 answers
	// IF-031): a rejection on it (R0.responseCode R) goes only to the
	// Primary recipients, the party it answers, never to the MPAN's other
	// parties.
	Answer bool
}

// RoutingTable holds the routing rules per interface and event. The public
// record does not publish Elexon's table (reference §1c); DefaultRouting
// derives one from the Interface Catalogue's recipients, and SetRule
// overrides it.
type RoutingTable struct {
	rules map[string]Rule // "IF-021" or "IF-021 [ActivePower]"
}

// centralRoles are delivered Always: services that want every message of the
// channels they receive.
var centralRoles = []string{"MDS", "LSS", "REGS", "EES", "DCC", "ECS", "ISD", "DIP"}

// mpanRoles are resolved from the MPAN's registration (Secondary): the
// supplier, the appointed data and metering services, the MDR and the LDSO.
var mpanRoles = []string{"SUP", "SDS", "ADS", "UMSDS", "MSS", "MSA", "UMSO", "MDR", "LDSO"}

// primaryOnly are interfaces whose every recipient is a party the sender
// names, because the registration does not know it as the MPAN's party:
// the proposed service provider (IF-033), the requesting and possibly
// gaining supplier and the proposed provider of an appointment outcome
// (IF-035), the gaining supplier of a pending switch (IF-002), and the
// MDR, the data service's own counterparty (IF-061 … IF-065).
var primaryOnly = []string{"IF-002", "IF-033", "IF-035", "IF-061", "IF-062", "IF-063", "IF-064", "IF-065"}

// DefaultRouting is the documented default (docs/routing.md):
//   - every recipient role of the interface may be named Primary by the sender;
//   - central roles (MDS, LSS, REGS, EES, DCC, ECS, ISD) are Always;
//   - supplier, data service, metering service, MDR and LDSO roles are
//     Secondary when the message names an MPAN (M0/M1) and Always otherwise
//     (LSS load shapes, ISD notices and ECS reports have no MPAN);
//   - a response goes to whom it answers: on an interface that answers a
//     request (catalogue.Answering: IF-032 answers IF-031 …), the
//     requester's roles, unless central, are Primary only, and a rejection
//     goes to the Primary recipients alone;
//   - the interfaces of primaryOnly go only to the parties the sender names.
func DefaultRouting(c *catalogue.Catalogue) *RoutingTable {
	t := &RoutingTable{rules: map[string]Rule{}}
	for _, in := range c.Interfaces() {
		r := Rule{Interface: in.ID, Primary: slices.Clone(in.Recipients)}
		hasMPAN := false
		var requesters []string
		for _, v := range in.Variants {
			if slices.Contains(v.Common.Required, "M0") || slices.Contains(v.Common.Required, "M1") {
				hasMPAN = true
			}
			if req, ok := c.Answering(v); ok {
				r.Answer = true
				if rin, ok := c.Interface(req.InterfaceID); ok {
					requesters = append(requesters, rin.Senders...)
				}
			}
		}
		for _, role := range in.Recipients {
			switch {
			case slices.Contains(centralRoles, role):
				r.Always = append(r.Always, role)
			case slices.Contains(requesters, role):
				// Primary only: the requester, named by the answer.
			case slices.Contains(mpanRoles, role) && hasMPAN:
				r.Secondary = append(r.Secondary, role)
			default:
				r.Always = append(r.Always, role)
			}
		}
		if slices.Contains(primaryOnly, in.ID) {
			r.Secondary, r.Always = nil, nil
		}
		t.rules[in.ID] = r
	}
	return t
}

// SetRule sets the rule for an interface, or for one event when r.Event is set.
func (t *RoutingTable) SetRule(r Rule) {
	key := r.Interface
	if r.Event != "" {
		key += " " + r.Event
	}
	t.rules[key] = r
}

// Rule returns the rule for an interface and event.
func (t *RoutingTable) Rule(iface, event string) (Rule, bool) {
	if r, ok := t.rules[iface+" "+event]; ok {
		return r, true
	}
	r, ok := t.rules[iface]
	return r, ok
}

// Rules returns every rule.
func (t *RoutingTable) Rules() []Rule {
	out := make([]Rule, 0, len(t.rules))
	for _, r := range t.rules {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Rule) int {
		if a.Interface != b.Interface {
			if a.Interface < b.Interface {
				return -1
			}
			return 1
		}
		if a.Event < b.Event {
			return -1
		}
		if a.Event > b.Event {
			return 1
		}
		return 0
	})
	return out
}

// Parties are the parties of an MPAN the DIP knows from the registration
// messages it carried (the MPANUpdateQueue stage): "" where unknown.
type Parties struct {
	MPAN            string
	Supplier        string
	DataService     string
	MeteringService string
	MDR             string
	// Pending are changes secured for later dates, in date order (At
	// applies those due).
	Pending []PartyChange
}

// Recipient is one party a message is delivered to.
type Recipient struct {
	DIPID string
	Role  string
	Route Route
}

// Directory answers who the participants are. The hub keeps one in memory.
type Directory interface {
	Participant(dipID string) (*Participant, bool)
	HoldersOf(role string) []*Participant
}

// Resolve chooses the recipients of one message: the sender's A0 primary
// recipients (each must be an enabled participant holding a role the rule
// allows as Primary), the Secondary roles resolved from the MPAN's parties
// as the message leaves them (the LDSO from M0.distributorDIPID), and the
// Always roles' holders. before are the MPAN's parties in force when the
// message arrives (Parties.At) and update the change the message makes to
// them (nil: none): a party the message makes (an IF-001's incoming
// supplier, also for a switch effective next week) receives it, and so does
// a party it removes (an IF-037's de-appointed service). A
// rejection on an answer interface goes to the Primary recipients alone. A
// participant appears once, under its first route; the sender never
// receives its own message. It returns the finding when a primary
// recipient is not allowed.
func Resolve(env *catalogue.Envelope, r Rule, before Parties, update func(*Parties) bool, dir Directory) ([]Recipient, *catalogue.Finding) {
	var out []Recipient
	seen := map[string]bool{env.SenderDIPID: true}
	add := func(id, role string, route Route) {
		if id == "" || seen[id] {
			return
		}
		seen[id] = true
		out = append(out, Recipient{DIPID: id, Role: role, Route: route})
	}
	for _, id := range env.PrimaryRecipients {
		p, ok := dir.Participant(id)
		role := ""
		if ok && !p.Disabled {
			for _, pr := range r.Primary {
				if p.HasRole(pr) {
					role = pr
					break
				}
			}
		}
		if role == "" {
			return nil, &catalogue.Finding{Path: "payload.CommonBlock.A0.primaryRecipients", Rule: "primaryRecipient",
				Code: catalogue.MSG3002, Level: 2, Detail: "primary recipient " + id + " is not a participant holding a role this channel delivers to (" + joinRoles(r.Primary) + ")"}
		}
		add(id, role, Primary)
	}
	if r.Answer && env.ResponseCode == string(catalogue.ResponseCodeR) {
		return out, nil
	}
	after := before
	if update != nil {
		update(&after)
	}
	// The parties this message makes, now or from a later date (a switch
	// secured for next Tuesday), are the ones it is about.
	eventual, settled := after.Eventually(), before.Eventually()
	for _, role := range r.Secondary {
		id := after.of(role)
		if e := eventual.of(role); e != settled.of(role) && e != "" {
			id = e
		}
		if id == "" {
			id = before.of(role) // removed by this message: it still hears of it
		}
		if p, ok := dir.Participant(id); ok && !p.Disabled && p.HasRole(role) {
			add(id, role, Secondary)
		}
		if role == "LDSO" && env.DistributorDIPID != "" {
			if p, ok := dir.Participant(env.DistributorDIPID); ok && !p.Disabled && p.HasRole(role) {
				add(env.DistributorDIPID, role, Secondary)
			}
		}
	}
	for _, role := range r.Always {
		for _, p := range dir.HoldersOf(role) {
			if !p.Disabled {
				add(p.DIPID, role, Always)
			}
		}
	}
	return out, nil
}

// of returns the party of the MPAN holding role (a DIP role code, or a
// PartyRole), or "".
func (p Parties) of(role string) string {
	switch role {
	case "SUP":
		return p.Supplier
	case "SDS", "ADS", "UMSDS", string(PartyDataService):
		return p.DataService
	case "MSS", "MSA", "UMSO", string(PartyMeteringService):
		return p.MeteringService
	case "MDR":
		return p.MDR
	}
	return ""
}

func joinRoles(r []string) string {
	s := ""
	for i, x := range r {
		if i > 0 {
			s += ","
		}
		s += x
	}
	return s
}
