package isd

import (
	"fmt"
	"slices"

	"github.com/mhhs/mhhs/internal/market"
)

// maxProfilesPerLLFC is the number of distinct loss factor profiles one
// LLFC may have: the store references them with 16-bit indexes.
const maxProfilesPerLLFC = 1<<16 - 1

// validate checks t, whose rows are in input order, and reports every
// problem it finds (up to maxErrors), located by loc.
func validate(t *Tables, loc locator) error {
	l := &errorList{loc: loc}
	defs := tables()
	bad := make(map[string]map[int]bool)
	for _, td := range defs {
		bad[td.tableName()] = checkCells(l, t, td)
		if l.full() {
			return l.err()
		}
	}
	for _, td := range defs {
		checkKeys(l, t, td, bad[td.tableName()])
	}
	checkReferences(l, t)
	return l.err()
}

// checkCells checks each value of each row of td, and that effective
// ranges do not end before they start. It returns the rows with errors.
func checkCells(l *errorList, t *Tables, td tableDef) map[int]bool {
	bad := make(map[int]bool)
	m := td.meta()
	for i := range td.length(t) {
		for c := range m {
			if err := td.checkCell(t, i, c); err != nil {
				l.add(td.tableName(), i, m[c].name, td.cell(t, i, c), err)
				bad[i] = true
			}
		}
		if rng, ok := td.effective(t, i); ok && rng.IsEmpty() {
			l.add(td.tableName(), i, "effectiveTo", rng.To.String(),
				fmt.Errorf("ends before effectiveFrom %s: %w", rng.From, ErrOutOfRange))
			bad[i] = true
		}
		if l.full() {
			break
		}
	}
	return bad
}

// checkKeys reports rows of td with the same key whose effective ranges
// overlap, or, for a table without effective ranges, the same key twice.
// Rows in bad, which have malformed values, are not compared.
func checkKeys(l *errorList, t *Tables, td tableDef, bad map[int]bool) {
	n := td.length(t)
	keys := make([]string, n)
	for i := range n {
		if !bad[i] {
			keys[i] = baseKey(t, td, i)
		}
	}
	checkUnique(l, td.tableName(), "", keys, func(i int) (market.Range, bool) { return td.effective(t, i) })
}

// baseKey returns the key of row i without its effective date.
func baseKey(t *Tables, td tableDef, i int) string {
	k := td.rowKey(t, i)
	if _, ok := td.effective(t, i); ok {
		k = k[:len(k)-len("@2006-01-02")]
	}
	return k
}

// checkUnique reports rows whose keys (keys[i] for row i; "" to skip a
// row) are equal and whose ranges overlap, or are equal at all when rng
// reports no range. The error names column, or the whole row if "".
func checkUnique(l *errorList, table, column string, keys []string, rng func(i int) (market.Range, bool)) {
	groups := make(map[string][]int)
	for i, k := range keys {
		if k != "" {
			groups[k] = append(groups[k], i)
		}
	}
	// Visit groups in row order so errors come out in a stable order.
	for i, k := range keys {
		g := groups[k]
		if k == "" || len(g) < 2 || g[0] != i {
			continue
		}
		if _, ok := rng(g[0]); !ok {
			for _, j := range g[1:] {
				l.add(table, j, column, k, fmt.Errorf("same key as row %d: %w", l.rowOf(table, g[0]), ErrDuplicate))
			}
			continue
		}
		var live []int
		for _, j := range g {
			if r, _ := rng(j); !r.IsEmpty() {
				live = append(live, j)
			}
		}
		slices.SortStableFunc(live, func(a, b int) int {
			ra, _ := rng(a)
			rb, _ := rng(b)
			return ra.From.Compare(rb.From)
		})
		// All earlier rows start no later than cur, so one of them overlaps
		// cur exactly when the one that ends latest does.
		far := live[0]
		for _, j := range live[1:] {
			cur, _ := rng(j)
			fr, _ := rng(far)
			if fr.Overlaps(cur) {
				l.add(table, j, column, k, fmt.Errorf("%s overlaps %s of row %d: %w",
					cur, fr, l.rowOf(table, far), ErrOverlap))
			}
			if !fr.IsOpen() && (cur.IsOpen() || cur.To.After(fr.To)) {
				far = j
			}
		}
	}
}

// checkReferences reports references to rows of other tables that do not
// exist, and the uniqueness rules that span more than a key.
func checkReferences(l *errorList, t *Tables) {
	gsp := make(map[market.GSPGroup]bool)
	for _, g := range t.GSPGroups {
		gsp[g.ID] = true
	}
	refGSP := func(table string, i int, column string, g market.GSPGroup) {
		if g.Valid() && !gsp[g] {
			l.add(table, i, column, string(g), fmt.Errorf("GSP group not in gspGroups: %w", ErrReference))
		}
	}
	participants := make(map[market.MPID]bool)
	suppliers := make(map[market.MPID]bool)
	for _, p := range t.Participants {
		participants[p.MPID] = true
		if p.HasRole(market.RoleSupplier) {
			suppliers[p.MPID] = true
		}
	}

	distributors := make(map[string]bool)
	for i, d := range t.Distributors {
		distributors[d.ID] = true
		for _, g := range d.GSPGroups {
			refGSP("distributors", i, "gspGroups", g)
		}
		if checkMPID(d.MPID) == nil && !participants[d.MPID] {
			l.add("distributors", i, "mpid", string(d.MPID), fmt.Errorf("not in participants: %w", ErrReference))
		}
	}

	baseKeys := make([]string, len(t.BMUnits))
	for i, u := range t.BMUnits {
		refGSP("bmUnits", i, "gspGroup", u.GSPGroup)
		if checkMPID(u.Supplier) == nil && !suppliers[u.Supplier] {
			l.add("bmUnits", i, "supplier", string(u.Supplier), fmt.Errorf("not a participant with role SUP: %w", ErrReference))
		}
		if u.Kind == BMUnitBase {
			baseKeys[i] = string(u.Supplier) + "/" + string(u.GSPGroup)
		}
	}
	checkUnique(l, "bmUnits", "kind", baseKeys, func(i int) (market.Range, bool) {
		return t.BMUnits[i].Effective(), true
	})

	type llfcKey struct{ dist, llfc string }
	llfcs := make(map[llfcKey]bool)
	for i, c := range t.LLFCs {
		llfcs[llfcKey{c.Distributor, c.ID}] = true
		if checkDistributorID(c.Distributor) == nil && !distributors[c.Distributor] {
			l.add("llfcs", i, "distributor", c.Distributor, fmt.Errorf("not in distributors: %w", ErrReference))
		}
	}
	type profileKey struct{ dist, llfc, profile string }
	profiles := make(map[profileKey]bool)
	perLLFC := make(map[llfcKey]int)
	for i, p := range t.LossFactorProfiles {
		k := llfcKey{p.Distributor, p.LLFC}
		profiles[profileKey{p.Distributor, p.LLFC, p.Profile}] = true
		if !llfcs[k] {
			l.add("lossFactorProfiles", i, "llfc", p.LLFC, fmt.Errorf("no LLFC %s of distributor %s in llfcs: %w", p.LLFC, p.Distributor, ErrReference))
		}
		if perLLFC[k]++; perLLFC[k] == maxProfilesPerLLFC+1 {
			l.add("lossFactorProfiles", i, "profile", p.Profile, fmt.Errorf("more than %d profiles for one LLFC: %w", maxProfilesPerLLFC, ErrOutOfRange))
		}
	}
	for i, d := range t.LossFactorDays {
		if !profiles[profileKey{d.Distributor, d.LLFC, d.Profile}] {
			l.add("lossFactorDays", i, "profile", d.Profile, fmt.Errorf("no such profile of LLFC %s of distributor %s in lossFactorProfiles: %w", d.LLFC, d.Distributor, ErrReference))
		}
	}

	cccKeys := make([]string, len(t.CCCs))
	for i, c := range t.CCCs {
		k := c.Key()
		cccKeys[i] = fmt.Sprintf("%s/%s/%t/%s/%s", k.MeasurementQuantity, k.Segment, k.Domestic, k.Component, k.Quality)
	}
	checkUnique(l, "cccs", "", cccKeys, func(i int) (market.Range, bool) { return t.CCCs[i].Effective(), true })

	for i, g := range t.LoadShapeGroups {
		refGSP("loadShapeGroups", i, "gspGroup", g.GSPGroup)
	}
	pcs := make(map[string]bool)
	for _, pc := range t.ProfileClasses {
		pcs[pc.ID] = true
	}
	for i, s := range t.SSCs {
		for _, pc := range s.ProfileClasses {
			if checkProfileClassID(pc) == nil && !pcs[pc] {
				l.add("sscs", i, "profileClasses", pc, fmt.Errorf("profile class not in profileClasses: %w", ErrReference))
			}
		}
	}
}

// rowOf returns the row number reported for row i of table.
func (l *errorList) rowOf(table string, i int) int {
	if l.loc != nil {
		_, r := l.loc(table, i)
		return r
	}
	return i + 1
}
