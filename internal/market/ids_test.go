package market

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDIPID(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"2300000001", true},
		{"ABCDEF0123", true},
		{"abcdef9876", true},
		{"ABCDEFGHIJ", false}, // printable, but the sender reference pattern needs hex
		{"a-b_c.d!~#", false},
		{"230000000g", false},
		{"", false},
		{"230000000", false},
		{"23000000011", false},
		{"23000 0001", false},
		{"230000000\t", false},
		{"23000000\x7f1", false},
		{"2300000é01", false}, // 10 bytes, but not ASCII
	}
	for _, tt := range tests {
		got, err := ParseDIPID(tt.in)
		if tt.ok != (err == nil) || (!tt.ok && !errors.Is(err, ErrDIPID)) {
			t.Errorf("ParseDIPID(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
		}
		if tt.ok && string(got) != tt.in {
			t.Errorf("ParseDIPID(%q) = %q", tt.in, got)
		}
	}
}

func TestParseMPID(t *testing.T) {
	for in, ok := range map[string]bool{
		"ABCD": true, "ZZZZ": true, "abcd": false, "ABC": false, "ABCDE": false,
		"AB1D": false, "": false, "AB D": false, "ÄBCD": false,
	} {
		_, err := ParseMPID(in)
		if ok != (err == nil) || (!ok && !errors.Is(err, ErrMPID)) {
			t.Errorf("ParseMPID(%q) error = %v, want ok=%v", in, err, ok)
		}
	}
}

func TestRoles(t *testing.T) {
	roles := Roles()
	if len(roles) != 17 {
		t.Errorf("len(Roles()) = %d, want 17", len(roles))
	}
	seen := map[Role]bool{}
	for _, ri := range roles {
		if seen[ri.Code] {
			t.Errorf("duplicate role %q", ri.Code)
		}
		seen[ri.Code] = true
		if ri.Name == "" || ri.Code.Name() != ri.Name {
			t.Errorf("role %q: name %q, Name() %q", ri.Code, ri.Name, ri.Code.Name())
		}
		if got, err := ParseRole(string(ri.Code)); err != nil || got != ri.Code {
			t.Errorf("ParseRole(%q) = %q, %v", ri.Code, got, err)
		}
		if l := len(ri.Code); l < 3 || l > 5 || strings.ToUpper(string(ri.Code)) != string(ri.Code) {
			t.Errorf("role %q is not 3-5 upper-case characters", ri.Code)
		}
	}
	for _, in := range []string{"", "sup", "SUPP", "UDS", "AMS", "SMS", "VAS"} {
		if _, err := ParseRole(in); !errors.Is(err, ErrRole) {
			t.Errorf("ParseRole(%q) error = %v, want ErrRole", in, err)
		}
	}
	// Roles returns a fresh slice.
	roles[0].Name = "changed"
	if Roles()[0].Name == "changed" {
		t.Error("Roles() shares its slice between calls")
	}
}

func TestRoleFamilies(t *testing.T) {
	var data, metering []Role
	for _, ri := range Roles() {
		if ri.Code.IsDataService() {
			data = append(data, ri.Code)
		}
		if ri.Code.IsMeteringService() {
			metering = append(metering, ri.Code)
		}
	}
	if diff := cmp.Diff([]Role{RoleSDS, RoleADS, RoleUMSDS}, data); diff != "" {
		t.Errorf("data services (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Role{RoleMSS, RoleMSA, RoleUMSO}, metering); diff != "" {
		t.Errorf("metering services (-want +got):\n%s", diff)
	}
	segs := map[MarketSegment][2]Role{
		SegmentSmart:     {RoleSDS, RoleMSS},
		SegmentAdvanced:  {RoleADS, RoleMSA},
		SegmentUnmetered: {RoleUMSDS, RoleUMSO},
		"X":              {"", ""},
	}
	for seg, want := range segs {
		if got := [2]Role{seg.DataServiceRole(), seg.MeteringServiceRole()}; got != want {
			t.Errorf("segment %q roles = %v, want %v", seg, got, want)
		}
	}
}

func TestGSPGroups(t *testing.T) {
	want := []GSPGroupInfo{
		{"_A", "Eastern", "10"},
		{"_B", "East Midlands", "11"},
		{"_C", "London", "12"},
		{"_D", "Merseyside & N Wales", "13"},
		{"_E", "Midlands", "14"},
		{"_F", "Northern", "15"},
		{"_G", "North Western", "16"},
		{"_P", "North Scotland", "17"},
		{"_N", "South Scotland", "18"},
		{"_J", "South Eastern", "19"},
		{"_H", "Southern", "20"},
		{"_K", "South Wales", "21"},
		{"_L", "South Western", "22"},
		{"_M", "Yorkshire", "23"},
	}
	if diff := cmp.Diff(want, GSPGroups()); diff != "" {
		t.Errorf("GSPGroups() (-want +got):\n%s", diff)
	}
	// Exactly _A.._P without _I and _O.
	for c := 'A'; c <= 'Z'; c++ {
		s := "_" + string(c)
		g, err := ParseGSPGroup(s)
		valid := c <= 'P' && c != 'I' && c != 'O'
		if valid != (err == nil) || (!valid && !errors.Is(err, ErrGSPGroup)) {
			t.Errorf("ParseGSPGroup(%q) = %q, %v; want valid=%v", s, g, err, valid)
		}
		if valid {
			info, ok := g.Info()
			if !ok || info.ID != g {
				t.Errorf("GSPGroup(%q).Info() = %v, %v", g, info, ok)
			}
			if got, ok := GSPGroupOfDistributor(info.DistributorID); !ok || got != g {
				t.Errorf("GSPGroupOfDistributor(%q) = %q, %v; want %q", info.DistributorID, got, ok, g)
			}
		}
	}
	for _, in := range []string{"", "A", "_a", "_AA", "_I", "_O"} {
		if _, err := ParseGSPGroup(in); !errors.Is(err, ErrGSPGroup) {
			t.Errorf("ParseGSPGroup(%q) error = %v, want ErrGSPGroup", in, err)
		}
	}
	for _, id := range []string{"", "09", "24", "1", "010"} {
		if g, ok := GSPGroupOfDistributor(id); ok {
			t.Errorf("GSPGroupOfDistributor(%q) = %q, true", id, g)
		}
	}
}

// parseAs adapts a Parse function of a string type to return a string.
func parseAs[T ~string](parse func(string) (T, error)) func(string) (string, error) {
	return func(s string) (string, error) {
		v, err := parse(s)
		return string(v), err
	}
}

func TestEnumerations(t *testing.T) {
	tests := []struct {
		name  string
		parse func(string) (string, error)
		valid []string
	}{
		{"MarketSegment", parseAs(ParseMarketSegment), []string{"S", "A", "U"}},
		{"EnergisationStatus", parseAs(ParseEnergisationStatus), []string{"E", "D", "U"}},
		{"ConnectionType", parseAs(ParseConnectionType), []string{"W", "L", "H", "E", "U"}},
		{"MeasurementQuantity", parseAs(ParseMeasurementQuantity), []string{"AI", "AE", "RI", "RE"}},
	}
	candidates := []string{"", " ", "x", "AI ", "ai", "s"}
	for c := 'A'; c <= 'Z'; c++ {
		candidates = append(candidates, string(c), string(c)+"I", string(c)+"E")
	}
	for _, tt := range tests {
		for _, in := range candidates {
			want := false
			for _, v := range tt.valid {
				want = want || v == in
			}
			got, err := tt.parse(in)
			if want != (err == nil) || (!want && !errors.Is(err, ErrCode)) || (want && got != in) {
				t.Errorf("Parse%s(%q) = %q, %v; want valid=%v", tt.name, in, got, err, want)
			}
		}
	}
	if !SegmentSmart.Valid() || MarketSegment("X").Valid() || !Energised.Valid() || EnergisationStatus("").Valid() ||
		!ConnectionUnmetered.Valid() || ConnectionType("Z").Valid() || !ReactiveExport.Valid() || MeasurementQuantity("A").Valid() {
		t.Error("Valid methods disagree with the Parse functions")
	}
}

func TestMeasurementQuantity(t *testing.T) {
	tests := []struct {
		mq          MeasurementQuantity
		active, imp bool
		unit        string
	}{
		{ActiveImport, true, true, "kWh"},
		{ActiveExport, true, false, "kWh"},
		{ReactiveImport, false, true, "kVArh"},
		{ReactiveExport, false, false, "kVArh"},
		{"XX", false, false, ""},
	}
	for _, tt := range tests {
		if tt.mq.IsActive() != tt.active || tt.mq.IsImport() != tt.imp || tt.mq.Unit() != tt.unit {
			t.Errorf("%q: IsActive %v IsImport %v Unit %q; want %v %v %q",
				tt.mq, tt.mq.IsActive(), tt.mq.IsImport(), tt.mq.Unit(), tt.active, tt.imp, tt.unit)
		}
	}
}
