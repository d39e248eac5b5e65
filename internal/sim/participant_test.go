package sim

import (
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/signature"
)

var (
	hexDIPID = regexp.MustCompile(`^[0-9a-fA-F]{10}$`)
	mpidForm = regexp.MustCompile(`^[A-Z]{4}$`)
)

func TestParticipantIdentities(t *testing.T) {
	for _, seed := range []uint64{0, 1, 99} {
		m := newMarket(t, func(c *Config) { c.Seed, c.Agents = seed, 3 })
		dips := map[market.DIPID]market.MPID{}
		mpids := map[market.MPID]market.DIPID{}
		for _, p := range m.Participants() {
			if !hexDIPID.MatchString(string(p.DIPID)) {
				t.Errorf("%s: DIP id %q is not 10 hex digits", p.MPID, p.DIPID)
			}
			if !mpidForm.MatchString(string(p.MPID)) {
				t.Errorf("%s: MPID is not 4 upper-case letters", p.MPID)
			}
			if other, ok := dips[p.DIPID]; ok && other != p.MPID {
				t.Errorf("DIP id %s belongs to %s and %s", p.DIPID, other, p.MPID)
			}
			if other, ok := mpids[p.MPID]; ok && other != p.DIPID {
				t.Errorf("MPID %s has DIP ids %s and %s", p.MPID, other, p.DIPID)
			}
			dips[p.DIPID], mpids[p.MPID] = p.MPID, p.DIPID
			if len(p.Roles) == 0 {
				t.Errorf("%s has no role", p.MPID)
			}
		}
	}
}

func TestParticipantRoles(t *testing.T) {
	m := newMarket(t, func(c *Config) { c.Agents = 2 })
	start := m.Config().Start
	for _, r := range requiredRoles {
		if len(m.Holders(r, start)) == 0 {
			t.Errorf("nobody holds %s", r)
		}
	}
	// Standing data has one SDS; two more are generated.
	if got := len(m.Holders(market.RoleSDS, start)); got != 3 {
		t.Errorf("%d SDS, want 3", got)
	}
	if got := len(m.Holders(market.RoleSupplier, start)); got != 19 {
		t.Errorf("%d suppliers on %s, want the default dataset's 19", got, start)
	}
	// The LDSOs are the 14 DNOs and two IDNOs of standing data.
	ldsos := m.Holders(market.RoleLDSO, start)
	if len(ldsos) != 16 {
		t.Errorf("%d LDSOs, want 16", len(ldsos))
	}
	for _, gi := range market.GSPGroups() {
		d, ok := m.Dataset().DistributorAt(gi.DistributorID, start)
		if !ok || !containsParty(ldsos, Party{d.MPID, d.DIPID}) {
			t.Errorf("the DNO of %s is not an LDSO", gi.ID)
		}
	}
	// Every supplier has a base BM unit in every GSP group.
	for _, p := range m.Participants() {
		if !p.HasRole(market.RoleSupplier) {
			continue
		}
		groups := map[market.GSPGroup]bool{}
		for _, u := range p.BMUnits {
			if u.Supplier != p.MPID {
				t.Errorf("%s lists BM unit %s of %s", p.MPID, u.ID, u.Supplier)
			}
			groups[u.GSPGroup] = true
		}
		if len(groups) != 14 {
			t.Errorf("%s has BM units in %d GSP groups, want 14", p.MPID, len(groups))
		}
	}
}

func containsParty(ps []Party, p Party) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

func TestStanding(t *testing.T) {
	m := newMarket(t, nil)
	ds, err := m.Standing()
	if err != nil {
		t.Fatal(err)
	}
	start := m.Config().Start
	for _, p := range m.Participants() {
		got, ok := ds.ParticipantAt(p.MPID, p.From)
		if !ok || got.DIPID != p.DIPID {
			t.Errorf("standing data lacks %s (%s): %+v", p.MPID, p.DIPID, got)
		}
		for _, r := range p.Roles {
			if !got.HasRole(r) {
				t.Errorf("standing data: %s lacks role %s", p.MPID, r)
			}
		}
	}
	if _, ok := m.Dataset().ParticipantAt(m.Holders(market.RoleMDR, start)[0].MPID, start); ok {
		t.Error("the generated MDR is in the original standing data")
	}
}

func TestKey(t *testing.T) {
	m := newMarket(t, nil)
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	id := m.Holders(market.RoleMDR, m.Config().Start)[0].DIPID
	keyPEM, certPEM, err := m.Key(id, now)
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := signature.LoadKeyPair(keyPEM, certPEM)
	if err != nil {
		t.Fatal(err)
	}
	if key.N.BitLen() != 1024 {
		t.Errorf("key of %d bits, want Config.KeyBits 1024", key.N.BitLen())
	}
	cert, err := signature.ParseCertificatePEM(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != string(id) || !cert.NotBefore.Equal(now) {
		t.Errorf("certificate for %q from %v, want %q from %v", cert.Subject.CommonName, cert.NotBefore, id, now)
	}
	if _, _, err := m.Key("9999999999", now); !errors.Is(err, ErrUnknown) {
		t.Errorf("Key of an unknown id = %v, want ErrUnknown", err)
	}
}
