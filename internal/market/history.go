package market

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
)

// Range is a span of settlement dates, inclusive at both ends: it contains
// every day from From through To. A zero To (0001-01-01) means the range
// is open-ended; it has no last day. A range whose To is before From is
// empty.
//
// Inclusive ends match MHHS effective-from and effective-to dates, where
// the effective-to date is the last day a value applies. The range after
// one that ends on To starts on To.AddDays(1).
type Range struct {
	From SettlementDate // first day
	To   SettlementDate // last day, inclusive; zero means open-ended
}

// OpenRange returns the open-ended range starting on from.
func OpenRange(from SettlementDate) Range { return Range{From: from} }

// IsOpen reports whether r has no last day.
func (r Range) IsOpen() bool { return r.To.IsZero() }

// IsEmpty reports whether r contains no day: it is closed and To is before
// From.
func (r Range) IsEmpty() bool { return !r.IsOpen() && r.To.Before(r.From) }

// Contains reports whether d lies in r.
func (r Range) Contains(d SettlementDate) bool {
	return !d.Before(r.From) && (r.IsOpen() || !d.After(r.To))
}

// Overlaps reports whether r and s have at least one day in common.
func (r Range) Overlaps(s Range) bool {
	if r.IsEmpty() || s.IsEmpty() {
		return false
	}
	return (r.IsOpen() || !s.From.After(r.To)) && (s.IsOpen() || !r.From.After(s.To))
}

// String returns r as "2025-04-01..2025-04-30", or "2025-04-01.." when
// open-ended.
func (r Range) String() string {
	if r.IsOpen() {
		return r.From.String() + ".."
	}
	return r.From.String() + ".." + r.To.String()
}

// Effective is a value with the range of dates on which it applies.
type Effective[T any] struct {
	Range
	Value T
}

// History is a sequence of effective-dated values of type T, such as the
// supplier of an MPAN over time. It is a list of change points: Set(from,
// v) makes v apply from from until the next later change point, or
// indefinitely if there is none; setting the same date again replaces the
// value. Unset(from) records that no value applies from that date.
//
// The zero History is empty and ready to use. A History is not safe for
// concurrent mutation, and copying one shares its storage: use Clone.
type History[T any] struct {
	points []changePoint[T] // sorted by from, unique
}

type changePoint[T any] struct {
	from  SettlementDate
	value T
	set   bool
}

// Set makes v the value from the date from onwards, up to the next later
// change point. The value in force before from now ends on the day before
// from. A value already set at from is replaced.
func (h *History[T]) Set(from SettlementDate, v T) {
	h.put(changePoint[T]{from: from, value: v, set: true})
}

// Unset records that no value applies from the date from onwards, up to the
// next later change point, ending the value in force before from on the
// day before from.
func (h *History[T]) Unset(from SettlementDate) {
	h.put(changePoint[T]{from: from})
}

func (h *History[T]) put(p changePoint[T]) {
	i, found := slices.BinarySearchFunc(h.points, p.from, func(c changePoint[T], d SettlementDate) int {
		return c.from.Compare(d)
	})
	if found {
		h.points[i] = p
		return
	}
	h.points = slices.Insert(h.points, i, p)
}

// At returns the value that applies on d, and false if none does.
func (h *History[T]) At(d SettlementDate) (T, bool) {
	// Index of the first change point after d.
	i := sort.Search(len(h.points), func(i int) bool { return h.points[i].from.After(d) })
	if i == 0 || !h.points[i-1].set {
		var zero T
		return zero, false
	}
	return h.points[i-1].value, true
}

// Ranges returns the values of h with the ranges on which they apply, in
// date order. Ranges do not overlap; a gap between them is a period with no
// value (before the first Set, or after an Unset). Adjacent equal values are
// not merged. The last range is open-ended unless an Unset follows it.
func (h *History[T]) Ranges() []Effective[T] {
	var out []Effective[T]
	for i, p := range h.points {
		if !p.set {
			continue
		}
		r := OpenRange(p.from)
		if i+1 < len(h.points) {
			r.To = h.points[i+1].from.AddDays(-1)
		}
		out = append(out, Effective[T]{Range: r, Value: p.value})
	}
	return out
}

// Clone returns an independent copy of h. Values of T are copied with
// assignment.
func (h *History[T]) Clone() *History[T] {
	return &History[T]{points: slices.Clone(h.points)}
}

// RangeAt returns the value that applies on d with the whole range on which
// it applies, and false if no value applies on d. It is At with the
// range: the range starts at the change point that set the value and ends
// the day before the next change point (open-ended if there is none).
func (h *History[T]) RangeAt(d SettlementDate) (Effective[T], bool) {
	i := sort.Search(len(h.points), func(i int) bool { return h.points[i].from.After(d) })
	if i == 0 || !h.points[i-1].set {
		return Effective[T]{}, false
	}
	r := OpenRange(h.points[i-1].from)
	if i < len(h.points) {
		r.To = h.points[i].from.AddDays(-1)
	}
	return Effective[T]{Range: r, Value: h.points[i-1].value}, true
}

// Last returns the date of the latest change point, a Set or an Unset, and
// false if h is empty. A value set on a later date than Last would leave
// every earlier change point in force.
func (h *History[T]) Last() (SettlementDate, bool) {
	if len(h.points) == 0 {
		return SettlementDate{}, false
	}
	return h.points[len(h.points)-1].from, true
}

// MarshalJSON encodes h as its change points in date order: a Set as the
// two-element array ["2025-04-01", value], an Unset as the one-element
// array ["2025-06-01"]. The empty History is [].
func (h History[T]) MarshalJSON() ([]byte, error) {
	b := []byte{'['}
	for i, p := range h.points {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[', '"')
		b = p.from.appendTo(b)
		b = append(b, '"')
		if p.set {
			v, err := json.Marshal(p.value)
			if err != nil {
				return nil, fmt.Errorf("market: history value from %s: %w", p.from, err)
			}
			b = append(b, ',')
			b = append(b, v...)
		}
		b = append(b, ']')
	}
	return append(b, ']'), nil
}

// UnmarshalJSON decodes the form MarshalJSON writes. The change points
// must be in strictly increasing date order; null is the empty History.
func (h *History[T]) UnmarshalJSON(b []byte) error {
	var raw [][]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("market: history: %w", err)
	}
	points := make([]changePoint[T], 0, len(raw))
	for i, item := range raw {
		if len(item) != 1 && len(item) != 2 {
			return fmt.Errorf("market: history point %d: want [date] or [date, value], got %d elements", i, len(item))
		}
		var p changePoint[T]
		if err := json.Unmarshal(item[0], &p.from); err != nil {
			return fmt.Errorf("market: history point %d: %w", i, err)
		}
		if i > 0 && !p.from.After(points[i-1].from) {
			return fmt.Errorf("market: history point %d: %s does not follow %s: %w", i, p.from, points[i-1].from, ErrDate)
		}
		if len(item) == 2 {
			p.set = true
			if err := json.Unmarshal(item[1], &p.value); err != nil {
				return fmt.Errorf("market: history value from %s: %w", p.from, err)
			}
		}
		points = append(points, p)
	}
	h.points = points
	return nil
}
