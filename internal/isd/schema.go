package isd

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mhhs/mhhs/internal/market"
)

// This file describes each table once: its name, CSV file, columns, key
// and effective range. The CSV and JSON codecs, validation, canonical
// ordering and Diff are all driven by these descriptions, so the two file
// forms always have the same columns with the same names.

// kind is how a column is written in JSON (CSV cells are always text).
type kind uint8

const (
	kindString     kind = iota // JSON string
	kindNullString             // JSON string or null (""), key may be omitted
	kindBool                   // JSON true or false; CSV "true" or "false"
	kindInt                    // JSON integer
	kindList                   // JSON array of strings; CSV items joined with ';'
	kindNullDate               // JSON date string or null (""), key may be omitted
)

// listSep separates the items of a list in a CSV cell.
const listSep = ";"

// column is one column of a table of rows of type T.
type column[T any] struct {
	name  string
	kind  kind
	group string                 // JSON array this column is an element of, if any
	get   func(*T) string        // the cell text
	set   func(*T, string) error // parse the cell text; errors wrap a sentinel
	check func(*T) error         // semantic check, or nil
}

// colMeta is the type-independent part of a column.
type colMeta struct {
	name  string
	kind  kind
	group string
}

// table describes one table of rows of type T.
type table[T any] struct {
	name    string // JSON key and FieldError.Table
	file    string // CSV file name
	columns []column[T]
	rows    func(*Tables) *[]T
	key     func(*T) string               // identity, without effective dates
	rng     func(*T) (market.Range, bool) // effective range, if the table has one
}

// tableDef is a table of any row type.
type tableDef interface {
	tableName() string
	fileName() string
	meta() []colMeta
	length(t *Tables) int
	resize(t *Tables, n int)
	appendRow(t *Tables) int
	cell(t *Tables, i, c int) string
	setCell(t *Tables, i, c int, s string) error
	checkCell(t *Tables, i, c int) error
	rowKey(t *Tables, i int) string
	effective(t *Tables, i int) (market.Range, bool)
	canonicalize(t *Tables)
}

func (tb *table[T]) tableName() string { return tb.name }
func (tb *table[T]) fileName() string  { return tb.file }
func (tb *table[T]) meta() []colMeta {
	m := make([]colMeta, len(tb.columns))
	for i, c := range tb.columns {
		m[i] = colMeta{c.name, c.kind, c.group}
	}
	return m
}
func (tb *table[T]) length(t *Tables) int { return len(*tb.rows(t)) }
func (tb *table[T]) resize(t *Tables, n int) {
	*tb.rows(t) = make([]T, n)
}
func (tb *table[T]) appendRow(t *Tables) int {
	var zero T
	*tb.rows(t) = append(*tb.rows(t), zero)
	return len(*tb.rows(t)) - 1
}
func (tb *table[T]) cell(t *Tables, i, c int) string {
	return tb.columns[c].get(&(*tb.rows(t))[i])
}
func (tb *table[T]) setCell(t *Tables, i, c int, s string) error {
	return tb.columns[c].set(&(*tb.rows(t))[i], s)
}
func (tb *table[T]) checkCell(t *Tables, i, c int) error {
	if tb.columns[c].check == nil {
		return nil
	}
	return tb.columns[c].check(&(*tb.rows(t))[i])
}
func (tb *table[T]) rowKey(t *Tables, i int) string {
	r := &(*tb.rows(t))[i]
	k := tb.key(r)
	if rng, ok := tb.rng(r); ok {
		k += "@" + rng.From.String()
	}
	return k
}
func (tb *table[T]) effective(t *Tables, i int) (market.Range, bool) {
	return tb.rng(&(*tb.rows(t))[i])
}

// canonicalize sorts the rows by key, then by effective-from date.
func (tb *table[T]) canonicalize(t *Tables) {
	rows := *tb.rows(t)
	type kr struct {
		key  string
		from market.SettlementDate
		i    int
	}
	ks := make([]kr, len(rows))
	for i := range rows {
		rng, _ := tb.rng(&rows[i])
		ks[i] = kr{tb.key(&rows[i]), rng.From, i}
	}
	slices.SortStableFunc(ks, func(a, b kr) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return a.from.Compare(b.from)
	})
	sorted := make([]T, len(rows))
	for j, k := range ks {
		sorted[j] = rows[k.i]
	}
	*tb.rows(t) = sorted
}

// tables returns the descriptions of all tables in their fixed order: the
// order of Tables, of the JSON document, of CSV files and of Diff.
func tables() []tableDef {
	return []tableDef{
		&table[GSPGroup]{
			name: "gspGroups", file: "gsp_groups.csv",
			rows: func(t *Tables) *[]GSPGroup { return &t.GSPGroups },
			key:  func(r *GSPGroup) string { return string(r.ID) },
			rng:  func(r *GSPGroup) (market.Range, bool) { return r.Effective(), true },
			columns: []column[GSPGroup]{
				textCol("id", func(r *GSPGroup) *market.GSPGroup { return &r.ID }, checkGSPGroup),
				textCol("name", func(r *GSPGroup) *string { return &r.Name }, checkNonEmpty),
				fromCol(func(r *GSPGroup) *market.SettlementDate { return &r.From }),
				toCol(func(r *GSPGroup) *market.SettlementDate { return &r.To }),
			},
		},
		&table[Distributor]{
			name: "distributors", file: "distributors.csv",
			rows: func(t *Tables) *[]Distributor { return &t.Distributors },
			key:  func(r *Distributor) string { return r.ID },
			rng:  func(r *Distributor) (market.Range, bool) { return r.Effective(), true },
			columns: []column[Distributor]{
				textCol("id", func(r *Distributor) *string { return &r.ID }, checkDistributorID),
				textCol("name", func(r *Distributor) *string { return &r.Name }, checkNonEmpty),
				textCol("mpid", func(r *Distributor) *market.MPID { return &r.MPID }, checkMPID),
				textCol("dipId", func(r *Distributor) *market.DIPID { return &r.DIPID }, checkDIPID),
				boolCol("idno", func(r *Distributor) *bool { return &r.IDNO }),
				listCol("gspGroups", func(r *Distributor) *[]market.GSPGroup { return &r.GSPGroups }, checkGSPGroup),
				fromCol(func(r *Distributor) *market.SettlementDate { return &r.From }),
				toCol(func(r *Distributor) *market.SettlementDate { return &r.To }),
			},
		},
		&table[Participant]{
			name: "participants", file: "participants.csv",
			rows: func(t *Tables) *[]Participant { return &t.Participants },
			key:  func(r *Participant) string { return string(r.MPID) },
			rng:  func(r *Participant) (market.Range, bool) { return r.Effective(), true },
			columns: []column[Participant]{
				textCol("mpid", func(r *Participant) *market.MPID { return &r.MPID }, checkMPID),
				textCol("dipId", func(r *Participant) *market.DIPID { return &r.DIPID }, checkDIPID),
				textCol("name", func(r *Participant) *string { return &r.Name }, checkNonEmpty),
				listCol("roles", func(r *Participant) *[]market.Role { return &r.Roles }, checkRole),
				fromCol(func(r *Participant) *market.SettlementDate { return &r.From }),
				toCol(func(r *Participant) *market.SettlementDate { return &r.To }),
			},
		},
		&table[BMUnit]{
			name: "bmUnits", file: "bm_units.csv",
			rows: func(t *Tables) *[]BMUnit { return &t.BMUnits },
			key:  func(r *BMUnit) string { return r.ID },
			rng:  func(r *BMUnit) (market.Range, bool) { return r.Effective(), true },
			columns: []column[BMUnit]{
				textCol("id", func(r *BMUnit) *string { return &r.ID }, checkBMUnitID),
				textCol("supplier", func(r *BMUnit) *market.MPID { return &r.Supplier }, checkMPID),
				textCol("gspGroup", func(r *BMUnit) *market.GSPGroup { return &r.GSPGroup }, checkGSPGroup),
				textCol("kind", func(r *BMUnit) *BMUnitKind { return &r.Kind }, checkValid[BMUnitKind]("want base or additional")),
				fromCol(func(r *BMUnit) *market.SettlementDate { return &r.From }),
				toCol(func(r *BMUnit) *market.SettlementDate { return &r.To }),
			},
		},
		&table[LLFC]{
			name: "llfcs", file: "llfcs.csv",
			rows: func(t *Tables) *[]LLFC { return &t.LLFCs },
			key:  func(r *LLFC) string { return r.Distributor + "/" + r.ID },
			rng:  func(r *LLFC) (market.Range, bool) { return r.Effective(), true },
			columns: []column[LLFC]{
				textCol("distributor", func(r *LLFC) *string { return &r.Distributor }, checkDistributorID),
				textCol("id", func(r *LLFC) *string { return &r.ID }, checkLLFCID),
				textCol("description", func(r *LLFC) *string { return &r.Description }, nil),
				textCol("voltageLevel", func(r *LLFC) *VoltageLevel { return &r.Voltage }, checkValid[VoltageLevel]("want LV, HV or EHV")),
				boolCol("metered", func(r *LLFC) *bool { return &r.Metered }),
				fromCol(func(r *LLFC) *market.SettlementDate { return &r.From }),
				toCol(func(r *LLFC) *market.SettlementDate { return &r.To }),
			},
		},
		&table[LossFactorProfile]{
			name: "lossFactorProfiles", file: "loss_factor_profiles.csv",
			rows: func(t *Tables) *[]LossFactorProfile { return &t.LossFactorProfiles },
			key: func(r *LossFactorProfile) string {
				return r.Distributor + "/" + r.LLFC + "/" + r.Profile
			},
			rng: func(*LossFactorProfile) (market.Range, bool) { return market.Range{}, false },
			columns: append([]column[LossFactorProfile]{
				textCol("distributor", func(r *LossFactorProfile) *string { return &r.Distributor }, checkDistributorID),
				textCol("llfc", func(r *LossFactorProfile) *string { return &r.LLFC }, checkLLFCID),
				textCol("profile", func(r *LossFactorProfile) *string { return &r.Profile }, checkProfileID),
			}, factorCols()...),
		},
		&table[LossFactorDays]{
			name: "lossFactorDays", file: "loss_factor_days.csv",
			rows: func(t *Tables) *[]LossFactorDays { return &t.LossFactorDays },
			key:  func(r *LossFactorDays) string { return r.Distributor + "/" + r.LLFC },
			rng:  func(r *LossFactorDays) (market.Range, bool) { return r.Effective(), true },
			columns: []column[LossFactorDays]{
				textCol("distributor", func(r *LossFactorDays) *string { return &r.Distributor }, checkDistributorID),
				textCol("llfc", func(r *LossFactorDays) *string { return &r.LLFC }, checkLLFCID),
				textCol("profile", func(r *LossFactorDays) *string { return &r.Profile }, checkProfileID),
				fromCol(func(r *LossFactorDays) *market.SettlementDate { return &r.From }),
				requiredToCol(func(r *LossFactorDays) *market.SettlementDate { return &r.To }),
			},
		},
		&table[CCC]{
			name: "cccs", file: "cccs.csv",
			rows: func(t *Tables) *[]CCC { return &t.CCCs },
			key:  func(r *CCC) string { return fmt.Sprintf("%03d", r.ID) },
			rng:  func(r *CCC) (market.Range, bool) { return r.Effective(), true },
			columns: []column[CCC]{
				intCol("id", func(r *CCC) *int { return &r.ID }, checkCCCID),
				textCol("description", func(r *CCC) *string { return &r.Description }, nil),
				textCol("measurementQuantity", func(r *CCC) *market.MeasurementQuantity { return &r.MeasurementQuantity }, checkValid[market.MeasurementQuantity]("want AI, AE, RI or RE")),
				textCol("segment", func(r *CCC) *market.MarketSegment { return &r.Segment }, checkValid[market.MarketSegment]("want S, A or U")),
				boolCol("domestic", func(r *CCC) *bool { return &r.Domestic }),
				textCol("component", func(r *CCC) *Component { return &r.Component }, checkValid[Component]("want C or L")),
				nullTextCol("quality", func(r *CCC) *Quality { return &r.Quality }, checkValid[Quality]("want A, E, D or null")),
				boolCol("gspGroupCorrection", func(r *CCC) *bool { return &r.GSPGroupCorrection }),
				factorCol("scalingWeight", "", func(r *CCC) *Factor { return &r.ScalingWeight }),
				fromCol(func(r *CCC) *market.SettlementDate { return &r.From }),
				toCol(func(r *CCC) *market.SettlementDate { return &r.To }),
			},
		},
		&table[LoadShapeGroup]{
			name: "loadShapeGroups", file: "load_shape_groups.csv",
			rows: func(t *Tables) *[]LoadShapeGroup { return &t.LoadShapeGroups },
			key: func(r *LoadShapeGroup) string {
				g, d := string(r.GSPGroup), string(r.Domestic)
				if g == "" {
					g = "GB"
				}
				if d == "" {
					d = "-"
				}
				return g + "/" + string(r.ConnectionType) + "/" + string(r.Segment) + "/" + d + "/" + string(r.MeasurementQuantity)
			},
			rng: func(r *LoadShapeGroup) (market.Range, bool) { return r.Effective(), true },
			columns: []column[LoadShapeGroup]{
				nullTextCol("gspGroup", func(r *LoadShapeGroup) *market.GSPGroup { return &r.GSPGroup }, func(g market.GSPGroup) error {
					if g == "" {
						return nil
					}
					return checkGSPGroup(g)
				}),
				textCol("connectionType", func(r *LoadShapeGroup) *market.ConnectionType { return &r.ConnectionType }, checkValid[market.ConnectionType]("want W, L, H, E or U")),
				textCol("segment", func(r *LoadShapeGroup) *market.MarketSegment { return &r.Segment }, checkValid[market.MarketSegment]("want S, A or U")),
				nullTextCol("domestic", func(r *LoadShapeGroup) *DomesticIndicator { return &r.Domestic }, checkValid[DomesticIndicator]("want T, F or null")),
				textCol("measurementQuantity", func(r *LoadShapeGroup) *market.MeasurementQuantity { return &r.MeasurementQuantity }, checkValid[market.MeasurementQuantity]("want AI, AE, RI or RE")),
				fromCol(func(r *LoadShapeGroup) *market.SettlementDate { return &r.From }),
				toCol(func(r *LoadShapeGroup) *market.SettlementDate { return &r.To }),
			},
		},
		&table[ProfileClass]{
			name: "profileClasses", file: "profile_classes.csv",
			rows: func(t *Tables) *[]ProfileClass { return &t.ProfileClasses },
			key:  func(r *ProfileClass) string { return r.ID },
			rng:  func(r *ProfileClass) (market.Range, bool) { return r.Effective(), true },
			columns: []column[ProfileClass]{
				textCol("id", func(r *ProfileClass) *string { return &r.ID }, checkProfileClassID),
				textCol("description", func(r *ProfileClass) *string { return &r.Description }, nil),
				fromCol(func(r *ProfileClass) *market.SettlementDate { return &r.From }),
				toCol(func(r *ProfileClass) *market.SettlementDate { return &r.To }),
			},
		},
		&table[SSC]{
			name: "sscs", file: "sscs.csv",
			rows: func(t *Tables) *[]SSC { return &t.SSCs },
			key:  func(r *SSC) string { return r.ID },
			rng:  func(r *SSC) (market.Range, bool) { return r.Effective(), true },
			columns: []column[SSC]{
				textCol("id", func(r *SSC) *string { return &r.ID }, checkSSCID),
				textCol("description", func(r *SSC) *string { return &r.Description }, nil),
				listCol("profileClasses", func(r *SSC) *[]string { return &r.ProfileClasses }, checkProfileClassID),
				fromCol(func(r *SSC) *market.SettlementDate { return &r.From }),
				toCol(func(r *SSC) *market.SettlementDate { return &r.To }),
			},
		},
	}
}

// Column constructors.

func textCol[T any, S ~string](name string, f func(*T) *S, check func(S) error) column[T] {
	c := column[T]{
		name: name, kind: kindString,
		get: func(r *T) string { return string(*f(r)) },
		set: func(r *T, s string) error { *f(r) = S(s); return nil },
	}
	if check != nil {
		c.check = func(r *T) error { return check(*f(r)) }
	}
	return c
}

func nullTextCol[T any, S ~string](name string, f func(*T) *S, check func(S) error) column[T] {
	c := textCol(name, f, check)
	c.kind = kindNullString
	return c
}

func boolCol[T any](name string, f func(*T) *bool) column[T] {
	return column[T]{
		name: name, kind: kindBool,
		get: func(r *T) string { return strconv.FormatBool(*f(r)) },
		set: func(r *T, s string) error {
			switch s {
			case "true":
				*f(r) = true
			case "false":
				*f(r) = false
			default:
				return fmt.Errorf("want true or false: %w", ErrSyntax)
			}
			return nil
		},
	}
}

func intCol[T any](name string, f func(*T) *int, check func(int) error) column[T] {
	return column[T]{
		name: name, kind: kindInt,
		get: func(r *T) string { return strconv.Itoa(*f(r)) },
		set: func(r *T, s string) error {
			if s == "" || strings.TrimLeft(s, "0123456789") != "" || len(s) > 9 {
				return fmt.Errorf("want an integer: %w", ErrSyntax)
			}
			*f(r), _ = strconv.Atoi(s)
			return nil
		},
		check: func(r *T) error { return check(*f(r)) },
	}
}

func listCol[T any, S ~string](name string, f func(*T) *[]S, check func(S) error) column[T] {
	return column[T]{
		name: name, kind: kindList,
		get: func(r *T) string {
			var b strings.Builder
			for i, v := range *f(r) {
				if i > 0 {
					b.WriteString(listSep)
				}
				b.WriteString(string(v))
			}
			return b.String()
		},
		set: func(r *T, s string) error {
			*f(r) = nil
			if s == "" {
				return nil
			}
			for _, v := range strings.Split(s, listSep) {
				*f(r) = append(*f(r), S(v))
			}
			return nil
		},
		check: func(r *T) error {
			l := *f(r)
			for i, v := range l {
				if err := check(v); err != nil {
					return fmt.Errorf("item %s: %w", quote(string(v)), err)
				}
				if slices.Contains(l[:i], v) {
					return fmt.Errorf("item %s: %w", quote(string(v)), ErrDuplicate)
				}
			}
			return nil
		},
	}
}

func factorCol[T any](name, group string, f func(*T) *Factor) column[T] {
	return column[T]{
		name: name, kind: kindString, group: group,
		get: func(r *T) string { return f(r).String() },
		set: func(r *T, s string) error {
			v, err := ParseFactor(s)
			if err != nil {
				return err
			}
			*f(r) = v
			return nil
		},
	}
}

// factorCols returns the 48 columns p1..p48 of a loss factor profile; in
// JSON they form the array "factors".
func factorCols() []column[LossFactorProfile] {
	cs := make([]column[LossFactorProfile], PeriodsPerDay)
	for p := range cs {
		cs[p] = factorCol("p"+strconv.Itoa(p+1), "factors", func(r *LossFactorProfile) *Factor { return &r.Factors[p] })
	}
	return cs
}

func fromCol[T any](f func(*T) *market.SettlementDate) column[T] {
	return column[T]{
		name: "effectiveFrom", kind: kindString,
		get: func(r *T) string { return formatDate(f(r)) },
		set: func(r *T, s string) error {
			if s == "" {
				return fmt.Errorf("want a date: %w", ErrRequired)
			}
			return parseDate(f(r), s)
		},
		check: func(r *T) error {
			if f(r).IsZero() {
				return fmt.Errorf("want a date: %w", ErrRequired)
			}
			return nil
		},
	}
}

// toCol is an optional effective-to date: "" (null) means open-ended.
func toCol[T any](f func(*T) *market.SettlementDate) column[T] {
	return column[T]{
		name: "effectiveTo", kind: kindNullDate,
		get: func(r *T) string { return formatDate(f(r)) },
		set: func(r *T, s string) error {
			if s == "" {
				*f(r) = market.SettlementDate{}
				return nil
			}
			return parseDate(f(r), s)
		},
	}
}

// requiredToCol is an effective-to date that must be given.
func requiredToCol[T any](f func(*T) *market.SettlementDate) column[T] {
	c := fromCol(f)
	c.name = "effectiveTo"
	return c
}

// formatDate is a date column's text: "" for the zero (absent) date.
func formatDate(d *market.SettlementDate) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

func parseDate(d *market.SettlementDate, s string) error {
	v, err := market.ParseSettlementDate(s)
	if err != nil {
		return fmt.Errorf("want YYYY-MM-DD: %w", market.ErrDate)
	}
	*d = v
	return nil
}

// Checks.

func checkNonEmpty(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("want a non-empty value: %w", ErrRequired)
	}
	return nil
}

func checkGSPGroup(g market.GSPGroup) error {
	if !g.Valid() {
		return fmt.Errorf("want _A.._P without _I and _O: %w", market.ErrGSPGroup)
	}
	return nil
}

func checkMPID(id market.MPID) error {
	if _, err := market.ParseMPID(string(id)); err != nil {
		return fmt.Errorf("want 4 upper-case letters: %w", market.ErrMPID)
	}
	return nil
}

func checkDIPID(id market.DIPID) error {
	if _, err := market.ParseDIPID(string(id)); err != nil {
		return fmt.Errorf("want 10 hexadecimal digits: %w", market.ErrDIPID)
	}
	return nil
}

func checkRole(r market.Role) error {
	if !r.Valid() {
		return fmt.Errorf("want a role code such as SUP or LDSO: %w", market.ErrRole)
	}
	return nil
}

// checkValid checks a code type with a Valid method.
func checkValid[S interface {
	~string
	Valid() bool
}](want string) func(S) error {
	return func(v S) error {
		if !v.Valid() {
			return fmt.Errorf("%s: %w", want, ErrSyntax)
		}
		return nil
	}
}

func checkDigits(s string, n int, what string) error {
	if len(s) != n || strings.TrimLeft(s, "0123456789") != "" {
		return fmt.Errorf("want %s of %d digits: %w", what, n, ErrSyntax)
	}
	return nil
}

func checkDistributorID(s string) error { return checkDigits(s, 2, "a distributor id") }
func checkSSCID(s string) error         { return checkDigits(s, 4, "an SSC id") }

func checkProfileClassID(s string) error {
	if err := checkDigits(s, 2, "a profile class"); err != nil {
		return err
	}
	if s < "01" || s > "08" {
		return fmt.Errorf("want a profile class 01..08: %w", ErrOutOfRange)
	}
	return nil
}

// checkLLFCID accepts three upper-case letters or digits.
func checkLLFCID(s string) error {
	if len(s) != 3 || !isIDChars(s, "") {
		return fmt.Errorf("want an LLFC id of 3 upper-case letters or digits: %w", ErrSyntax)
	}
	return nil
}

// checkProfileID accepts 1..16 upper-case letters, digits, '-' and '_'.
func checkProfileID(s string) error {
	if len(s) < 1 || len(s) > 16 || !isIDChars(s, "-_") {
		return fmt.Errorf("want a profile name of 1 to 16 upper-case letters, digits, '-' or '_': %w", ErrSyntax)
	}
	return nil
}

// checkBMUnitID accepts 1..11 upper-case letters, digits, '_' and '-'. The
// format of Supplier BM Unit ids is not published; the convention of the
// default dataset is "2__" + GSP group letter + supplier MPID + 3 digits.
func checkBMUnitID(s string) error {
	if len(s) < 1 || len(s) > 11 || !isIDChars(s, "-_") {
		return fmt.Errorf("want a BM unit id of 1 to 11 upper-case letters, digits, '_' or '-': %w", ErrSyntax)
	}
	return nil
}

func checkCCCID(id int) error {
	if id < 100 || id > 999 {
		return fmt.Errorf("want a CCC id in 100..999: %w", ErrOutOfRange)
	}
	return nil
}

// isIDChars reports whether s has only upper-case ASCII letters, digits
// and bytes of extra.
func isIDChars(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0) {
			return false
		}
	}
	return true
}
