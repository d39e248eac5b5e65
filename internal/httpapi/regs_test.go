package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/regs"
	"github.com/mhhs/mhhs/internal/signature"
	"github.com/mhhs/mhhs/internal/sqlite"
)

// regsDIP is a test DIP serving the registrations of a REGS store holding
// one MPAN whose data service is the test sender (1200000001) from 2025
// to the end of the day 30 days from now (regsEnd).
func regsDIP(t *testing.T) *testDIP {
	t.Helper()
	ctx := context.Background()
	svc, err := sqlite.OpenServices(ctx, filepath.Join(t.TempDir(), "services.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	st := svc.Regs()
	from := market.NewSettlementDate(2025, 1, 1)
	r := &regs.Registration{MPAN: "1200023305967", LDSO: "2500000012", Created: from}
	r.Supplier.Set(from, regs.Supply{Party: regs.Party{DIPID: "2300000001", MPID: "SUPA"}, CSSRegistrationID: "CSS-1"})
	r.DS.Set(from, regs.Appointment{Party: regs.Party{DIPID: testSender, MPID: "SDSA"}, By: "2300000001", Scenario: catalogue.AppointmentScenarioCOS})
	r.DS.Unset(regsEnd().AddDays(1))
	r.Segment.Set(from, market.SegmentSmart)
	if err := st.Load(ctx, []*regs.Registration{r}); err != nil {
		t.Fatal(err)
	}
	return newTestDIP(t, Config{Registrations: st})
}

func regsEnd() market.SettlementDate {
	return market.FromTime(time.Now().In(market.London())).AddDays(30)
}

// get is a signed GET of path by the test sender.
func (d *testDIP) get(t *testing.T, path string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, d.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", d.apiKey)
	if err := d.signer.SignRequest(req, nil); err != nil {
		t.Fatal(err)
	}
	return req
}

// TestRegistrationAsAt: a party of the MPAN on a day reads its
// registration as at that day; today by default.
func TestRegistrationAsAt(t *testing.T) {
	d := regsDIP(t)
	for _, path := range []string{"/regs/registrations/1200023305967?at=2025-06-30", "/regs/registrations/1200023305967"} {
		a := do(t, d.get(t, path))
		if a.status != http.StatusOK {
			t.Fatalf("%s: HTTP %d %s", path, a.status, a.body)
		}
		var snap regs.Snapshot
		if err := json.Unmarshal(a.body, &snap); err != nil {
			t.Fatal(err)
		}
		if snap.DS.DIPID != testSender || snap.Supplier.DIPID != "2300000001" || snap.Segment != market.SegmentSmart {
			t.Errorf("%s: %s", path, a.body)
		}
	}
}

// TestRegistrationOnlyToParties: a participant that is not a party of the
// MPAN on the day, and one asking about an MPAN REGS does not hold, get
// the same 403 MSG4004; bad input gets its own code; and the read API
// authenticates as every participant request: no API key, no signature, a
// stranger's signature and a replayed (stale) signature are refused.
func TestRegistrationOnlyToParties(t *testing.T) {
	d := regsDIP(t)
	cases := []struct {
		name   string
		req    *http.Request
		status int
		code   catalogue.Code
	}{
		{"no longer a party", d.get(t, "/regs/registrations/1200023305967?at="+regsEnd().AddDays(1).String()), http.StatusForbidden, catalogue.MSG4004},
		{"not yet a party", d.get(t, "/regs/registrations/1200023305967?at=2024-12-31"), http.StatusForbidden, catalogue.MSG4004},
		{"an MPAN REGS does not hold", d.get(t, "/regs/registrations/1100000000017?at=2025-03-01"), http.StatusForbidden, catalogue.MSG4004},
		{"a bad check digit", d.get(t, "/regs/registrations/1200023305968"), http.StatusBadRequest, catalogue.MSG2001},
		{"a bad day", d.get(t, "/regs/registrations/1200023305967?at=2025-02-30"), http.StatusBadRequest, catalogue.MSG2004},
	}
	noKey := d.get(t, "/regs/registrations/1200023305967")
	noKey.Header.Del("X-API-Key")
	cases = append(cases, struct {
		name   string
		req    *http.Request
		status int
		code   catalogue.Code
	}{"no API key", noKey, http.StatusUnauthorized, catalogue.MSG4001})
	unsigned, _ := http.NewRequest(http.MethodGet, d.url+"/regs/registrations/1200023305967", nil)
	unsigned.Header.Set("X-API-Key", d.apiKey)
	cases = append(cases, struct {
		name   string
		req    *http.Request
		status int
		code   catalogue.Code
	}{"unsigned", unsigned, http.StatusUnauthorized, catalogue.MSG4002})
	// A stranger holding the sender's API key signs with its own key.
	keyPEM, certPEM, err := signature.GenerateSelfSigned(testSender, 1024, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	key, cert, _ := signature.LoadKeyPair(keyPEM, certPEM)
	stranger, _ := signature.NewSigner(key, cert)
	spoofed, _ := http.NewRequest(http.MethodGet, d.url+"/regs/registrations/1200023305967", nil)
	spoofed.Header.Set("X-API-Key", d.apiKey)
	if err := stranger.SignRequest(spoofed, nil); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, struct {
		name   string
		req    *http.Request
		status int
		code   catalogue.Code
	}{"a stranger's signature", spoofed, http.StatusUnauthorized, catalogue.MSG4002})
	// A request signed long ago, replayed.
	old := &signature.Signer{}
	*old = *d.signer
	old.Now = func() time.Time { return time.Now().Add(-time.Hour) }
	replayed, _ := http.NewRequest(http.MethodGet, d.url+"/regs/registrations/1200023305967", nil)
	replayed.Header.Set("X-API-Key", d.apiKey)
	if err := old.SignRequest(replayed, nil); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, struct {
		name   string
		req    *http.Request
		status int
		code   catalogue.Code
	}{"a replayed signature", replayed, http.StatusUnauthorized, catalogue.MSG4003})
	for _, c := range cases {
		a := do(t, c.req)
		if a.status != c.status {
			t.Errorf("%s: HTTP %d, want %d: %s", c.name, a.status, c.status, a.body)
			continue
		}
		if code, _ := a.code(t); code != c.code {
			t.Errorf("%s: %s, want %s", c.name, code, c.code)
		}
	}
}
