package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/signature"
)

// Party names a participant in one of its roles: its market participant
// id and its DIP id. The zero Party means none.
type Party struct {
	MPID  market.MPID
	DIPID market.DIPID
}

// IsZero reports whether p is the zero Party.
func (p Party) IsZero() bool { return p == Party{} }

// Participant is a market participant of the simulated market: one row of
// standing data whose effective range overlaps the timeline, or one that
// the simulation generated because standing data lacked it.
type Participant struct {
	Party
	Name  string
	Roles []market.Role // sorted
	From  market.SettlementDate
	To    market.SettlementDate // last day; zero if open-ended
	// Generated is true for a participant the simulation added: it is not
	// in the standing data the Market was built from (see Standing).
	Generated bool
	// BMUnits are a supplier's BM units from standing data, all kinds and
	// all dates, sorted by id and date.
	BMUnits []isd.BMUnit
}

// HasRole reports whether p holds role r.
func (p Participant) HasRole(r market.Role) bool { return slices.Contains(p.Roles, r) }

// Effective returns the dates on which p applies.
func (p Participant) Effective() market.Range { return market.Range{From: p.From, To: p.To} }

// holder is a party holding a role over a range of dates.
type holder struct {
	party  Party
	span   market.Range
	weight uint64 // relative chance of being picked
}

// pick returns a party among hs effective on d other than not, with chance
// proportional to weight, and false if there is none.
func pick(hs []holder, d market.SettlementDate, not Party, r *rng) (Party, bool) {
	var total uint64
	for _, h := range hs {
		if h.party != not && h.span.Contains(d) {
			total += h.weight
		}
	}
	if total == 0 {
		return Party{}, false
	}
	x := r.intn(total)
	for _, h := range hs {
		if h.party != not && h.span.Contains(d) {
			if x < h.weight {
				return h.party, true
			}
			x -= h.weight
		}
	}
	return Party{}, false // unreachable: x < total
}

// The roles every simulated market has: when standing data has no
// participant in one of them at Start, the simulation generates one.
var requiredRoles = []market.Role{
	market.RoleREGS, market.RoleMDS, market.RoleLSS, market.RoleISD, market.RoleEES, market.RoleMDR,
	market.RoleSDS, market.RoleADS, market.RoleUMSDS, market.RoleMSS, market.RoleMSA, market.RoleUMSO,
}

// agentRoles get Config.Agents more generated participants each.
var agentRoles = []market.Role{market.RoleSDS, market.RoleADS, market.RoleUMSDS, market.RoleMSS, market.RoleMSA}

// dipPrefix gives generated participants' DIP ids a role-coded start,
// following the unverified convention of the published examples where
// there is one (11 data services, 12 metering, 18 MDS, 19 LSS, 20 ISD,
// 22 REGS, 25 LDSO); 13 for MDR and 14 for EES are invented.
func dipPrefix(r market.Role) string {
	switch r {
	case market.RoleSDS, market.RoleADS, market.RoleUMSDS:
		return "11"
	case market.RoleMSS, market.RoleMSA:
		return "12"
	case market.RoleUMSO, market.RoleLDSO:
		return "25"
	case market.RoleMDR:
		return "13"
	case market.RoleEES:
		return "14"
	case market.RoleMDS:
		return "18"
	case market.RoleLSS:
		return "19"
	case market.RoleISD:
		return "20"
	case market.RoleREGS:
		return "22"
	}
	return "29"
}

// validDIPID reports whether id is exactly 10 hexadecimal digits, the
// form the DIP's sender references require.
func validDIPID(id market.DIPID) bool {
	if len(id) != 10 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// participants returns the participants of standing data whose rows
// overlap the timeline, then generated ones for every required role that
// has nobody at Start and Config.Agents more for each agent role.
func participants(ds *isd.Dataset, cfg Config, timeline market.Range) ([]Participant, error) {
	t := ds.Tables()
	var out []Participant
	mpids := map[market.MPID]bool{}
	dipids := map[market.DIPID]bool{}
	earliest := timeline.From
	for _, row := range t.Participants {
		mpids[row.MPID] = true
		dipids[row.DIPID] = true
		if !row.Effective().Overlaps(timeline) {
			continue
		}
		if !validDIPID(row.DIPID) {
			return nil, fmt.Errorf("sim: participant %s has DIP id %q, not 10 hexadecimal digits: %w", row.MPID, row.DIPID, ErrDataset)
		}
		if row.From.Before(earliest) {
			earliest = row.From
		}
		p := Participant{Party: Party{row.MPID, row.DIPID}, Name: row.Name, Roles: slices.Clone(row.Roles), From: row.From, To: row.To}
		if p.HasRole(market.RoleSupplier) {
			for _, u := range t.BMUnits {
				if u.Supplier == row.MPID {
					p.BMUnits = append(p.BMUnits, u)
				}
			}
		}
		out = append(out, p)
	}
	r := stream(cfg.Seed, tagIdentity, 0)
	seq := 0
	gen := func(role market.Role, n int) {
		seq++
		p := Participant{Name: fmt.Sprintf("Simulated %s %d", role.Name(), n), Roles: []market.Role{role}, From: earliest, Generated: true}
		for {
			var b [4]byte
			for i := range b {
				b[i] = byte('A' + r.intn(26))
			}
			if id := market.MPID(b[:]); !mpids[id] {
				p.MPID = id
				break
			}
		}
		for k := seq; ; k += 100 {
			if id := market.DIPID(fmt.Sprintf("%s9%07d", dipPrefix(role), k)); !dipids[id] {
				p.DIPID = id
				break
			}
		}
		mpids[p.MPID], dipids[p.DIPID] = true, true
		out = append(out, p)
	}
	for _, role := range requiredRoles {
		found := slices.ContainsFunc(out, func(p Participant) bool {
			return p.HasRole(role) && p.Effective().Contains(timeline.From)
		})
		n := 0
		if !found {
			n = 1
		}
		if slices.Contains(agentRoles, role) {
			n += cfg.Agents
		}
		for k := range n {
			gen(role, k+1)
		}
	}
	return out, nil
}

// Participants returns every participant of the market: those of standing
// data whose rows overlap the timeline (one entry per row), then the
// generated ones. The slice is new on each call.
func (m *Market) Participants() []Participant {
	out := slices.Clone(m.parts)
	for i := range out {
		out[i].Roles = slices.Clone(out[i].Roles)
		out[i].BMUnits = slices.Clone(out[i].BMUnits)
	}
	return out
}

// Holders returns the parties holding role r on date d, in the order of
// Participants.
func (m *Market) Holders(r market.Role, d market.SettlementDate) []Party {
	var out []Party
	for _, h := range m.roles[r] {
		if h.span.Contains(d) {
			out = append(out, h.party)
		}
	}
	return out
}

// Key returns a new RSA key (PEM, PKCS #8) and a self-signed certificate
// (PEM) for the participant with DIP id, its common name the DIP id, of
// Config.KeyBits bits, valid for a year from now. Keys come from
// crypto/rand: unlike everything else in the market they are not
// determined by the seed, and each call makes a new pair. It returns an
// error wrapping ErrUnknown if the market has no such participant.
func (m *Market) Key(id market.DIPID, now time.Time) (keyPEM, certPEM []byte, err error) {
	if !slices.ContainsFunc(m.parts, func(p Participant) bool { return p.DIPID == id }) {
		return nil, nil, fmt.Errorf("sim: key for DIP id %q: %w", id, ErrUnknown)
	}
	keyPEM, certPEM, err = signature.GenerateSelfSigned(string(id), m.cfg.KeyBits, now)
	if err != nil {
		return nil, nil, fmt.Errorf("sim: key for DIP id %s: %w", id, err)
	}
	return keyPEM, certPEM, nil
}

// Standing returns the standing data the market was built from with the
// generated participants added, so that the services of a simulated
// market find every participant in their Industry Standing Data.
func (m *Market) Standing() (*isd.Dataset, error) {
	t := m.ds.Tables()
	for _, p := range m.parts {
		if p.Generated {
			t.Participants = append(t.Participants, isd.Participant{
				MPID: p.MPID, DIPID: p.DIPID, Name: p.Name, Roles: slices.Clone(p.Roles), From: p.From, To: p.To,
			})
		}
	}
	ds, err := isd.New(t)
	if err != nil {
		return nil, fmt.Errorf("sim: standing data with generated participants: %w", err)
	}
	return ds, nil
}
