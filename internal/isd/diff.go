package isd

import (
	"slices"
	"strings"
)

// ChangeKind says how a row differs between two datasets.
type ChangeKind string

// The kinds of change.
const (
	Added   ChangeKind = "added"
	Removed ChangeKind = "removed"
	Changed ChangeKind = "changed"
)

// Change is one row added, removed or changed between two datasets.
type Change struct {
	Table string     // e.g. "participants"
	Key   string     // the row's key and, for effective-dated tables, "@" and its effective-from date, e.g. "ABCD@2025-01-01"
	Kind  ChangeKind //
	// Fields lists, for a changed row, each column whose value differs.
	Fields []FieldChange
}

// FieldChange is one column of a changed row, with its values as CSV text.
type FieldChange struct {
	Column   string
	Old, New string
}

// String returns c on one line, as in
//
//	participants ABCD@2025-01-01 changed: name "Old" -> "New"
func (c Change) String() string {
	var b strings.Builder
	b.WriteString(c.Table + " " + c.Key + " " + string(c.Kind))
	for i, f := range c.Fields {
		if i == 0 {
			b.WriteString(":")
		} else {
			b.WriteString(",")
		}
		b.WriteString(" " + f.Column + " " + quote(f.Old) + " -> " + quote(f.New))
	}
	return b.String()
}

// Diff lists the rows added, removed and changed from a to b. A row is
// identified by its table, its key and its effective-from date, so a row
// whose effective-to date or other values change is Changed, while a row
// that starts on a new date is Added (and the old one, if gone, Removed).
// Changes are ordered by table (in the order of Tables), then key. A nil
// dataset is empty.
func Diff(a, b *Dataset) []Change {
	var ta, tb Tables
	if a != nil {
		ta = a.t
	}
	if b != nil {
		tb = b.t
	}
	var out []Change
	for _, td := range tables() {
		ra, rb := rowsByKey(&ta, td), rowsByKey(&tb, td)
		keys := make([]string, 0, len(ra)+len(rb))
		for k := range ra {
			keys = append(keys, k)
		}
		for k := range rb {
			if _, ok := ra[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		meta := td.meta()
		for _, k := range keys {
			ia, inA := ra[k]
			ib, inB := rb[k]
			switch {
			case !inA:
				out = append(out, Change{Table: td.tableName(), Key: k, Kind: Added})
			case !inB:
				out = append(out, Change{Table: td.tableName(), Key: k, Kind: Removed})
			default:
				var fs []FieldChange
				for c, m := range meta {
					if va, vb := td.cell(&ta, ia, c), td.cell(&tb, ib, c); va != vb {
						fs = append(fs, FieldChange{Column: m.name, Old: va, New: vb})
					}
				}
				if len(fs) > 0 {
					out = append(out, Change{Table: td.tableName(), Key: k, Kind: Changed, Fields: fs})
				}
			}
		}
	}
	return out
}

func rowsByKey(t *Tables, td tableDef) map[string]int {
	n := td.length(t)
	m := make(map[string]int, n)
	for i := range n {
		m[td.rowKey(t, i)] = i
	}
	return m
}
