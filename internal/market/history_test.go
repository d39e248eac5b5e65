package market

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRangeContains(t *testing.T) {
	apr := Range{From: date(2025, 4, 1), To: date(2025, 4, 30)}
	open := OpenRange(date(2025, 4, 1))
	empty := Range{From: date(2025, 4, 2), To: date(2025, 4, 1)}
	single := Range{From: date(2025, 4, 1), To: date(2025, 4, 1)}
	tests := []struct {
		r    Range
		d    SettlementDate
		want bool
	}{
		{apr, date(2025, 3, 31), false},
		{apr, date(2025, 4, 1), true},
		{apr, date(2025, 4, 15), true},
		{apr, date(2025, 4, 30), true},
		{apr, date(2025, 5, 1), false},
		{open, date(2025, 3, 31), false},
		{open, date(2025, 4, 1), true},
		{open, date(9999, 12, 31), true},
		{empty, date(2025, 4, 1), false},
		{empty, date(2025, 4, 2), false},
		{single, date(2025, 4, 1), true},
		{single, date(2025, 4, 2), false},
		{Range{}, SettlementDate{}, true}, // open from the zero date: everything
		{Range{}, date(2025, 1, 1), true},
	}
	for _, tt := range tests {
		if got := tt.r.Contains(tt.d); got != tt.want {
			t.Errorf("%v.Contains(%v) = %v, want %v", tt.r, tt.d, got, tt.want)
		}
	}
	if !open.IsOpen() || apr.IsOpen() || !empty.IsEmpty() || apr.IsEmpty() || open.IsEmpty() {
		t.Error("IsOpen/IsEmpty")
	}
	if apr.String() != "2025-04-01..2025-04-30" || open.String() != "2025-04-01.." {
		t.Errorf("String() = %q, %q", apr.String(), open.String())
	}
}

func TestRangeOverlaps(t *testing.T) {
	r := func(f, to string) Range {
		ds := dates(t, f)
		out := Range{From: ds[0]}
		if to != "" {
			out.To = dates(t, to)[0]
		}
		return out
	}
	tests := []struct {
		a, b Range
		want bool
	}{
		{r("2025-04-01", "2025-04-30"), r("2025-05-01", "2025-05-31"), false}, // adjacent
		{r("2025-04-01", "2025-04-30"), r("2025-04-30", "2025-05-31"), true},  // share one day
		{r("2025-04-01", "2025-04-30"), r("2025-04-10", "2025-04-20"), true},  // inside
		{r("2025-04-01", "2025-04-30"), r("2025-03-01", "2025-03-31"), false},
		{r("2025-04-01", "2025-04-30"), r("2025-03-01", "2025-04-01"), true},
		{r("2025-04-01", ""), r("2030-01-01", "2030-01-02"), true},
		{r("2025-04-01", ""), r("2025-03-01", "2025-03-31"), false},
		{r("2025-04-01", ""), r("2025-03-01", "2025-04-01"), true},
		{r("2025-04-01", ""), r("2020-01-01", ""), true},
		{r("2025-04-02", "2025-04-01"), r("2025-01-01", ""), false}, // empty
		{r("2025-04-01", "2025-04-01"), r("2025-04-01", "2025-04-01"), true},
	}
	for _, tt := range tests {
		if got := tt.a.Overlaps(tt.b); got != tt.want {
			t.Errorf("%v.Overlaps(%v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := tt.b.Overlaps(tt.a); got != tt.want {
			t.Errorf("%v.Overlaps(%v) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestHistory(t *testing.T) {
	var h History[string]
	if _, ok := h.At(date(2025, 1, 1)); ok || h.Ranges() != nil {
		t.Fatal("zero History is not empty")
	}
	h.Set(date(2025, 4, 1), "A")
	h.Set(date(2025, 6, 1), "B")  // later: closes A on 31 May
	h.Set(date(2025, 5, 1), "C")  // in between: A to 30 Apr, C to 31 May
	h.Set(date(2025, 6, 1), "B2") // same date replaces
	h.Unset(date(2025, 9, 1))     // nothing from 1 Sep
	h.Set(date(2025, 10, 1), "D")

	want := []Effective[string]{
		{Range{date(2025, 4, 1), date(2025, 4, 30)}, "A"},
		{Range{date(2025, 5, 1), date(2025, 5, 31)}, "C"},
		{Range{date(2025, 6, 1), date(2025, 8, 31)}, "B2"},
		{OpenRange(date(2025, 10, 1)), "D"},
	}
	if diff := cmp.Diff(want, h.Ranges()); diff != "" {
		t.Errorf("Ranges() (-want +got):\n%s", diff)
	}
	at := []struct {
		d    SettlementDate
		want string
		ok   bool
	}{
		{date(2025, 3, 31), "", false},
		{date(2025, 4, 1), "A", true},
		{date(2025, 4, 30), "A", true},
		{date(2025, 5, 1), "C", true},
		{date(2025, 5, 31), "C", true},
		{date(2025, 6, 1), "B2", true},
		{date(2025, 8, 31), "B2", true},
		{date(2025, 9, 1), "", false},
		{date(2025, 9, 30), "", false},
		{date(2025, 10, 1), "D", true},
		{date(2099, 1, 1), "D", true},
	}
	for _, tt := range at {
		got, ok := h.At(tt.d)
		if got != tt.want || ok != tt.ok {
			t.Errorf("At(%v) = %q, %v; want %q, %v", tt.d, got, ok, tt.want, tt.ok)
		}
		// Ranges and At agree.
		n := 0
		for _, e := range h.Ranges() {
			if e.Contains(tt.d) {
				n++
				if e.Value != got {
					t.Errorf("Ranges() says %q on %v, At says %q", e.Value, tt.d, got)
				}
			}
		}
		if (n == 1) != tt.ok || n > 1 {
			t.Errorf("%v is in %d ranges", tt.d, n)
		}
	}
	// Ranges never overlap.
	rs := h.Ranges()
	for i := range rs {
		for j := range rs {
			if i != j && rs[i].Overlaps(rs[j].Range) {
				t.Errorf("%v overlaps %v", rs[i].Range, rs[j].Range)
			}
		}
	}

	// Clone is independent.
	c := h.Clone()
	c.Set(date(2025, 4, 1), "X")
	if got, _ := h.At(date(2025, 4, 1)); got != "A" {
		t.Errorf("Set on a clone changed the original: %q", got)
	}
	// Unset on an existing change point and before the first.
	c.Unset(date(2025, 10, 1))
	c.Unset(date(2020, 1, 1))
	if _, ok := c.At(date(2026, 1, 1)); ok {
		t.Error("Unset did not end the last value")
	}
	if len(c.Ranges()) != 3 {
		t.Errorf("clone Ranges() = %v", c.Ranges())
	}
}

func TestHistoryRangeAtAndLast(t *testing.T) {
	var h History[string]
	if _, ok := h.Last(); ok {
		t.Error("Last of an empty history reported a change point")
	}
	h.Set(date(2025, 4, 1), "a")
	h.Set(date(2025, 5, 1), "b")
	h.Unset(date(2025, 6, 1))
	h.Set(date(2025, 7, 1), "c")
	tests := []struct {
		d    SettlementDate
		want Effective[string]
		ok   bool
	}{
		{date(2025, 3, 31), Effective[string]{}, false},
		{date(2025, 4, 1), Effective[string]{Range{date(2025, 4, 1), date(2025, 4, 30)}, "a"}, true},
		{date(2025, 4, 30), Effective[string]{Range{date(2025, 4, 1), date(2025, 4, 30)}, "a"}, true},
		{date(2025, 5, 31), Effective[string]{Range{date(2025, 5, 1), date(2025, 5, 31)}, "b"}, true},
		{date(2025, 6, 15), Effective[string]{}, false},
		{date(2030, 1, 1), Effective[string]{OpenRange(date(2025, 7, 1)), "c"}, true},
	}
	for _, tt := range tests {
		got, ok := h.RangeAt(tt.d)
		if ok != tt.ok || !cmp.Equal(got, tt.want) {
			t.Errorf("RangeAt(%v) = %v, %v; want %v, %v", tt.d, got, ok, tt.want, tt.ok)
		}
		if v, ok2 := h.At(tt.d); ok2 != ok || v != got.Value {
			t.Errorf("At(%v) = %q, %v disagrees with RangeAt", tt.d, v, ok2)
		}
	}
	if last, ok := h.Last(); !ok || last != date(2025, 7, 1) {
		t.Errorf("Last() = %v, %v; want 2025-07-01", last, ok)
	}
	h.Unset(date(2025, 8, 1))
	if last, _ := h.Last(); last != date(2025, 8, 1) {
		t.Errorf("Last() after Unset = %v; want 2025-08-01", last)
	}
}

func TestHistoryJSON(t *testing.T) {
	type party struct {
		ID string `json:"id"`
	}
	var h History[*party]
	h.Set(date(2025, 4, 1), &party{"A"})
	h.Set(date(2025, 5, 1), nil) // a value that encodes as null is still a value
	h.Unset(date(2025, 6, 1))
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	const want = `[["2025-04-01",{"id":"A"}],["2025-05-01",null],["2025-06-01"]]`
	if string(b) != want {
		t.Fatalf("Marshal = %s\nwant      %s", b, want)
	}
	var back History[*party]
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if v, ok := back.At(date(2025, 5, 15)); !ok || v != nil {
		t.Errorf("decoded At(2025-05-15) = %v, %v; want nil, true (a null value, not an Unset)", v, ok)
	}
	if _, ok := back.At(date(2025, 6, 15)); ok {
		t.Error("decoded At(2025-06-15) found a value after the Unset")
	}
	if v, ok := back.At(date(2025, 4, 2)); !ok || v.ID != "A" {
		t.Errorf("decoded At(2025-04-02) = %v, %v", v, ok)
	}
	if b2, _ := json.Marshal(back); string(b2) != want {
		t.Errorf("round trip = %s, want %s", b2, want)
	}
	var empty History[int]
	if b, _ := json.Marshal(empty); string(b) != "[]" {
		t.Errorf("empty history = %s, want []", b)
	}
	for _, bad := range []string{
		`[["2025-05-01",1],["2025-04-01",2]]`, // out of order
		`[["2025-05-01",1],["2025-05-01",2]]`, // duplicate date
		`[["2025-05-01",1,2]]`,                // three elements
		`[[]]`,                                // no date
		`[["2025-02-30",1]]`,                  // no such day
		`[["2025-05-01","x"]]`,                // wrong value type
		`{"from":"2025-05-01"}`,               // not an array
	} {
		var h History[int]
		if err := json.Unmarshal([]byte(bad), &h); err == nil {
			t.Errorf("Unmarshal(%s) succeeded", bad)
		}
	}
}
