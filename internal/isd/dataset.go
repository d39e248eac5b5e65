package isd

import (
	"slices"

	"github.com/mhhs/mhhs/internal/market"
)

// Dataset is one version of Industry Standing Data: validated, immutable
// and indexed for "as at" lookups. Build one with New, DecodeJSON, ReadCSV
// or Default; it is safe for concurrent use.
//
// Lookups by key and settlement date (the ...At methods) return the row
// whose effective range contains the date. Rows returned are copies:
// changing them does not change the Dataset.
type Dataset struct {
	t Tables // canonical order

	gsp   map[market.GSPGroup][]int32
	dist  map[string][]int32
	part  map[market.MPID][]int32
	bmu   map[string][]int32
	base  map[supplierGroup][]int32
	llfc  map[llfcKey][]int32
	ccc   map[int][]int32
	cccBy map[CCCKey][]int32
	pc    map[string][]int32
	ssc   map[string][]int32
	lf    *LossFactorTable
}

type supplierGroup struct {
	supplier market.MPID
	group    market.GSPGroup
}

type llfcKey struct{ distributor, llfc string }

// New validates t and returns the Dataset holding a copy of it. Errors are
// *FieldError values, joined, whose Row is the 1-based element number
// within the table.
func New(t Tables) (*Dataset, error) {
	return build(t.clone(), nil)
}

// build validates t, which it takes ownership of, puts it in canonical
// order and indexes it. loc locates errors.
func build(t Tables, loc locator) (*Dataset, error) {
	if err := validate(&t, loc); err != nil {
		return nil, err
	}
	normalize(&t)
	ds := &Dataset{t: t}
	ds.gsp = index(t.GSPGroups, func(r *GSPGroup) market.GSPGroup { return r.ID })
	ds.dist = index(t.Distributors, func(r *Distributor) string { return r.ID })
	ds.part = index(t.Participants, func(r *Participant) market.MPID { return r.MPID })
	ds.bmu = index(t.BMUnits, func(r *BMUnit) string { return r.ID })
	ds.base = make(map[supplierGroup][]int32)
	for i, u := range t.BMUnits {
		if u.Kind == BMUnitBase {
			k := supplierGroup{u.Supplier, u.GSPGroup}
			ds.base[k] = append(ds.base[k], int32(i))
		}
	}
	ds.llfc = index(t.LLFCs, func(r *LLFC) llfcKey { return llfcKey{r.Distributor, r.ID} })
	ds.ccc = index(t.CCCs, func(r *CCC) int { return r.ID })
	ds.cccBy = index(t.CCCs, func(r *CCC) CCCKey { return r.Key() })
	ds.pc = index(t.ProfileClasses, func(r *ProfileClass) string { return r.ID })
	ds.ssc = index(t.SSCs, func(r *SSC) string { return r.ID })
	ds.lf = newLossFactorTable(t.LossFactorProfiles, t.LossFactorDays)
	return ds, nil
}

// normalize sorts lists within rows, makes empty lists nil and sorts each
// table into canonical order: by key, then effective-from date.
func normalize(t *Tables) {
	for i := range t.Distributors {
		t.Distributors[i].GSPGroups = sortedOrNil(t.Distributors[i].GSPGroups)
	}
	for i := range t.Participants {
		t.Participants[i].Roles = sortedOrNil(t.Participants[i].Roles)
	}
	for i := range t.SSCs {
		t.SSCs[i].ProfileClasses = sortedOrNil(t.SSCs[i].ProfileClasses)
	}
	for _, td := range tables() {
		td.canonicalize(t)
	}
}

func sortedOrNil[S ~string](l []S) []S {
	if len(l) == 0 {
		return nil
	}
	slices.Sort(l)
	return l
}

// effective is a row with an effective range.
type effective interface {
	Effective() market.Range
}

func index[K comparable, T effective](rows []T, key func(*T) K) map[K][]int32 {
	m := make(map[K][]int32, len(rows))
	for i := range rows {
		k := key(&rows[i])
		m[k] = append(m[k], int32(i))
	}
	return m
}

// at returns the row among rows[ix[k]] effective on d.
func at[K comparable, T effective](rows []T, ix map[K][]int32, k K, d market.SettlementDate) (T, bool) {
	for _, i := range ix[k] {
		if rows[i].Effective().Contains(d) {
			return rows[i], true
		}
	}
	var zero T
	return zero, false
}

// Tables returns a copy of the tables of ds in canonical order: each table
// sorted by key, then effective-from date, lists within rows sorted.
func (ds *Dataset) Tables() Tables { return ds.t.clone() }

// As returns the rows of every table effective on d: the standing data as
// at d. Its loss factor days are the rows covering d and its loss factor
// profiles those they reference.
func (ds *Dataset) As(d market.SettlementDate) Tables {
	t := ds.t
	out := Tables{
		GSPGroups:       effectiveOn(t.GSPGroups, d),
		Distributors:    effectiveOn(t.Distributors, d),
		Participants:    effectiveOn(t.Participants, d),
		BMUnits:         effectiveOn(t.BMUnits, d),
		LLFCs:           effectiveOn(t.LLFCs, d),
		LossFactorDays:  effectiveOn(t.LossFactorDays, d),
		CCCs:            effectiveOn(t.CCCs, d),
		LoadShapeGroups: effectiveOn(t.LoadShapeGroups, d),
		ProfileClasses:  effectiveOn(t.ProfileClasses, d),
		SSCs:            effectiveOn(t.SSCs, d),
	}
	used := make(map[[3]string]bool, len(out.LossFactorDays))
	for _, r := range out.LossFactorDays {
		used[[3]string{r.Distributor, r.LLFC, r.Profile}] = true
	}
	for _, p := range t.LossFactorProfiles {
		if used[[3]string{p.Distributor, p.LLFC, p.Profile}] {
			out.LossFactorProfiles = append(out.LossFactorProfiles, p)
		}
	}
	return out.clone()
}

func effectiveOn[T effective](rows []T, d market.SettlementDate) []T {
	var out []T
	for _, r := range rows {
		if r.Effective().Contains(d) {
			out = append(out, r)
		}
	}
	return out
}

// GSPGroupAt returns GSP group g as at d.
func (ds *Dataset) GSPGroupAt(g market.GSPGroup, d market.SettlementDate) (GSPGroup, bool) {
	return at(ds.t.GSPGroups, ds.gsp, g, d)
}

// DistributorAt returns the distributor with the 2-digit id as at d.
func (ds *Dataset) DistributorAt(id string, d market.SettlementDate) (Distributor, bool) {
	r, ok := at(ds.t.Distributors, ds.dist, id, d)
	r.GSPGroups = slices.Clone(r.GSPGroups)
	return r, ok
}

// DistributorsServing returns the distributors, DNO and IDNOs, serving GSP
// group g on d, ordered by id.
func (ds *Dataset) DistributorsServing(g market.GSPGroup, d market.SettlementDate) []Distributor {
	var out []Distributor
	for _, r := range ds.t.Distributors {
		if r.Effective().Contains(d) && r.Serves(g) {
			r.GSPGroups = slices.Clone(r.GSPGroups)
			out = append(out, r)
		}
	}
	return out
}

// ParticipantAt returns the market participant with id as at d.
func (ds *Dataset) ParticipantAt(id market.MPID, d market.SettlementDate) (Participant, bool) {
	r, ok := at(ds.t.Participants, ds.part, id, d)
	r.Roles = slices.Clone(r.Roles)
	return r, ok
}

// BMUnitAt returns the Supplier BM Unit with id as at d.
func (ds *Dataset) BMUnitAt(id string, d market.SettlementDate) (BMUnit, bool) {
	return at(ds.t.BMUnits, ds.bmu, id, d)
}

// BaseBMUnit returns the base BM unit of supplier in GSP group g as at d:
// the unit into which settlement aggregates the supplier's volumes there.
func (ds *Dataset) BaseBMUnit(supplier market.MPID, g market.GSPGroup, d market.SettlementDate) (BMUnit, bool) {
	return at(ds.t.BMUnits, ds.base, supplierGroup{supplier, g}, d)
}

// LLFCAt returns the Line Loss Factor Class id of the distributor as at d.
func (ds *Dataset) LLFCAt(distributor, id string, d market.SettlementDate) (LLFC, bool) {
	return at(ds.t.LLFCs, ds.llfc, llfcKey{distributor, id}, d)
}

// CCCAt returns the Consumption Component Class id as at d.
func (ds *Dataset) CCCAt(id int, d market.SettlementDate) (CCC, bool) {
	return at(ds.t.CCCs, ds.ccc, id, d)
}

// CCCFor returns the Consumption Component Class determined by k as at d.
// If there is none for k's quality, it falls back to the class with
// QualityAny.
func (ds *Dataset) CCCFor(k CCCKey, d market.SettlementDate) (CCC, bool) {
	if c, ok := at(ds.t.CCCs, ds.cccBy, k, d); ok || k.Quality == QualityAny {
		return c, ok
	}
	k.Quality = QualityAny
	return at(ds.t.CCCs, ds.cccBy, k, d)
}

// ProfileClassAt returns profile class id ("01".."08") as at d.
func (ds *Dataset) ProfileClassAt(id string, d market.SettlementDate) (ProfileClass, bool) {
	return at(ds.t.ProfileClasses, ds.pc, id, d)
}

// SSCAt returns the Standard Settlement Configuration id as at d.
func (ds *Dataset) SSCAt(id string, d market.SettlementDate) (SSC, bool) {
	r, ok := at(ds.t.SSCs, ds.ssc, id, d)
	r.ProfileClasses = slices.Clone(r.ProfileClasses)
	return r, ok
}

// LossFactors returns the loss factor store of ds, for fast lookups.
func (ds *Dataset) LossFactors() *LossFactorTable { return ds.lf }

// LossFactor returns the line loss factor of the LLFC of the distributor
// for UTC settlement period p (1..48) of settlement date d. It looks the
// LLFC up in a map on every call: on a hot path, resolve the LLFC once
// with LossFactors().Class and call At on the result.
func (ds *Dataset) LossFactor(distributor, llfc string, d market.SettlementDate, p int) (Factor, bool) {
	s, ok := ds.lf.Class(distributor, llfc)
	if !ok {
		return 0, false
	}
	return s.At(d, p)
}
