package httpapi

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/regs"
)

// Registrations is the Registration Service's read side (regs.Store) that
// the API serves at GET /regs/registrations/{mpan}.
type Registrations interface {
	Registration(ctx context.Context, mpan market.MPAN) (*regs.Registration, error)
}

// registration is GET /regs/registrations/{mpan}?at=YYYY-MM-DD: the MPAN's
// registration as at the day (default today, London), as
// regs.Snapshot's JSON. It is authenticated and signed as every
// participant request, and answered only to a party of the MPAN on that
// day (regs.Snapshot.Involves) or to a participant holding the REGS role;
// any other participant gets 403 MSG4004, whether or not REGS holds the
// MPAN, so that the API does not tell which MPANs exist. A malformed MPAN
// is 400 MSG2001, a malformed day 400 MSG2004.
func (s *Server) registration(w http.ResponseWriter, r *http.Request, _ []byte) error {
	p := caller(r.Context())
	mpan, err := market.ParseMPAN(r.PathValue("mpan"))
	if err != nil {
		return fail(http.StatusBadRequest, catalogue.MSG2001, "%v", err)
	}
	day := market.FromTime(s.cfg.Now().In(market.London()))
	if at := r.URL.Query().Get("at"); at != "" {
		if day, err = market.ParseSettlementDate(at); err != nil {
			return fail(http.StatusBadRequest, catalogue.MSG2004, "at=%s: want a day YYYY-MM-DD", at)
		}
	}
	notParty := fail(http.StatusForbidden, catalogue.MSG4004, "participant %s is not a party of MPAN %s on %s", p.DIPID, string(mpan), day.String())
	reg, err := s.cfg.Registrations.Registration(r.Context(), mpan)
	if errors.Is(err, regs.ErrNotFound) {
		return notParty
	}
	if err != nil {
		return err
	}
	snap := reg.At(day)
	if !snap.Involves(p.DIPID) && !slices.Contains(p.Roles, string(market.RoleREGS)) {
		return notParty
	}
	s.writeJSON(w, http.StatusOK, snap)
	return nil
}
