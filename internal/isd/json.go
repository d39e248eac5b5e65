package isd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The JSON form of a dataset is one object with a key per table (the
// names of FieldError.Table: "gspGroups", "distributors", ...), each an
// array of row objects whose keys are the CSV columns. Booleans are JSON
// booleans, CCC ids integers, lists arrays of strings, the 48 factors of a
// loss factor profile the array "factors", and open effective-to dates and
// other nulls null. Factors and dates are strings ("1.045123",
// "2025-04-01"). Every table and every non-nullable key is required; no
// other key is allowed.

// DecodeJSON reads a dataset in its JSON form from r. Errors are
// *FieldError values, joined, naming the table, the 1-based row number
// within it and the key. A document that is not JSON, or not an object of
// arrays of objects, stops decoding at the first such error.
func DecodeJSON(r io.Reader) (*Dataset, error) {
	dec := json.NewDecoder(r)
	syntax := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("isd: JSON document: %s: %w: %w", what, err, ErrSyntax)
		}
		return fmt.Errorf("isd: JSON document: %s: %w", what, ErrSyntax)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, syntax("want an object", err)
	}
	var t Tables
	l := &errorList{}
	defs := tables()
	byName := make(map[string]tableDef)
	for _, td := range defs {
		byName[td.tableName()] = td
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntax("want a table name", err)
		}
		name := tok.(string) // object keys are strings
		td, ok := byName[name]
		if !ok || seen[name] {
			if !ok {
				l.errs = append(l.errs, &FieldError{Table: name, Err: fmt.Errorf("not a table: %w", ErrUnknownColumn)})
			} else {
				l.errs = append(l.errs, &FieldError{Table: name, Err: fmt.Errorf("table given twice: %w", ErrDuplicate)})
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, syntax(name, err)
			}
			continue
		}
		seen[name] = true
		if err := decodeJSONTable(l, dec, td, &t); err != nil {
			return nil, syntax(name, err)
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, syntax("want the end of the object", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, syntax("data after the object", nil)
	}
	for _, td := range defs {
		if !seen[td.tableName()] {
			l.errs = append(l.errs, &FieldError{Table: td.tableName(), Err: fmt.Errorf("table missing: %w", ErrRequired)})
		}
	}
	if err := l.err(); err != nil {
		return nil, err
	}
	return build(t, nil)
}

// decodeJSONTable reads the array of rows of td from dec into t. It
// reports bad values to l and returns an error only for a document that
// is not an array of objects.
func decodeJSONTable(l *errorList, dec *json.Decoder, td tableDef, t *Tables) error {
	table := td.tableName()
	fail := func(i int, column, value string, err error) {
		if !l.full() {
			l.errs = append(l.errs, &FieldError{Table: table, Row: i + 1, Column: column, Value: value, Err: err})
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		if err == nil {
			err = errors.New("want an array of objects")
		}
		return err
	}
	meta := td.meta()
	groups := make(map[string][]int) // JSON array name -> its columns
	var groupNames []string
	allowed := make(map[string]bool)
	for c, m := range meta {
		if m.group == "" {
			allowed[m.name] = true
			continue
		}
		if !allowed[m.group] {
			allowed[m.group] = true
			groupNames = append(groupNames, m.group)
		}
		groups[m.group] = append(groups[m.group], c)
	}
	obj := make(map[string]json.RawMessage, len(meta))
	var items []json.RawMessage
	for dec.More() {
		clear(obj)
		if err := dec.Decode(&obj); err != nil {
			return fmt.Errorf("want an array of objects: %w", err)
		}
		i := td.appendRow(t)
		var extra []string
		for k := range obj {
			if !allowed[k] {
				extra = append(extra, k)
			}
		}
		for _, k := range sortedOrNil(extra) {
			fail(i, k, "", fmt.Errorf("not a key of %s: %w", table, ErrUnknownColumn))
		}
		for c, m := range meta {
			if m.group != "" {
				continue
			}
			v, present := obj[m.name]
			if s, err := jsonCell(m.kind, v, present); err != nil {
				fail(i, m.name, cut(string(v)), err)
			} else if err := td.setCell(t, i, c, s); err != nil {
				fail(i, m.name, s, err)
			}
		}
		for _, g := range groupNames {
			cols := groups[g]
			v, present := obj[g]
			if !present {
				fail(i, g, "", fmt.Errorf("key missing: %w", ErrRequired))
				continue
			}
			items = items[:0]
			if err := json.Unmarshal(v, &items); err != nil || len(items) != len(cols) {
				fail(i, g, cut(string(v)), fmt.Errorf("want an array of %d strings: %w", len(cols), ErrSyntax))
				continue
			}
			for j, c := range cols {
				col := g + "[" + strconv.Itoa(j) + "]"
				if s, err := jsonCell(meta[c].kind, items[j], true); err != nil {
					fail(i, col, cut(string(items[j])), err)
				} else if err := td.setCell(t, i, c, s); err != nil {
					fail(i, col, s, err)
				}
			}
		}
	}
	_, err := dec.Token() // the closing ']'
	return err
}

// jsonCell converts the JSON value v of a column of kind k to cell text.
func jsonCell(k kind, v json.RawMessage, present bool) (string, error) {
	nullable := k == kindNullString || k == kindNullDate
	if !present || string(v) == "null" {
		if nullable {
			return "", nil
		}
		if !present {
			return "", fmt.Errorf("key missing: %w", ErrRequired)
		}
		return "", fmt.Errorf("null not allowed: %w", ErrRequired)
	}
	switch k {
	case kindBool:
		if s := string(v); s == "true" || s == "false" {
			return s, nil
		}
		return "", fmt.Errorf("want true or false: %w", ErrSyntax)
	case kindInt:
		s := string(v)
		if s == "" || strings.TrimLeft(s, "0123456789") != "" {
			return "", fmt.Errorf("want an integer: %w", ErrSyntax)
		}
		return s, nil
	case kindList:
		var items []string
		if err := json.Unmarshal(v, &items); err != nil {
			return "", fmt.Errorf("want an array of strings: %w", ErrSyntax)
		}
		for _, it := range items {
			if it == "" || strings.Contains(it, listSep) {
				return "", fmt.Errorf("item %s: want a non-empty string without %q: %w", quote(it), listSep, ErrSyntax)
			}
		}
		return strings.Join(items, listSep), nil
	}
	var s string
	if n := len(v); n >= 2 && v[0] == '"' && v[n-1] == '"' && bytes.IndexByte(v, '\\') < 0 {
		s = string(v[1 : n-1]) // valid JSON: no escapes, no control characters
	} else if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("want a string: %w", ErrSyntax)
	}
	if nullable && s == "" {
		return "", fmt.Errorf("want null rather than an empty string: %w", ErrSyntax)
	}
	return s, nil
}

// cut shortens a raw JSON value for an error message.
func cut(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// EncodeJSON writes ds in its JSON form, tables and rows in canonical
// order, one row per line.
func (ds *Dataset) EncodeJSON(w io.Writer) error {
	var b bytes.Buffer
	t := &ds.t
	b.WriteString("{\n")
	defs := tables()
	for ti, td := range defs {
		meta := td.meta()
		b.WriteString("  ")
		appendJSONString(&b, td.tableName())
		n := td.length(t)
		if n == 0 {
			b.WriteString(": []")
		} else {
			b.WriteString(": [\n")
		}
		for i := range n {
			b.WriteString("    {")
			for c, m := range meta {
				if m.group != "" {
					if c > 0 && meta[c-1].group == m.group {
						continue
					}
					if c > 0 {
						b.WriteString(", ")
					}
					appendJSONString(&b, m.group)
					b.WriteString(": [")
					for j := c; j < len(meta) && meta[j].group == m.group; j++ {
						if j > c {
							b.WriteByte(',')
						}
						appendJSONString(&b, td.cell(t, i, j))
					}
					b.WriteByte(']')
					continue
				}
				if c > 0 {
					b.WriteString(", ")
				}
				appendJSONString(&b, m.name)
				b.WriteString(": ")
				appendJSONValue(&b, m.kind, td.cell(t, i, c))
			}
			b.WriteByte('}')
			if i < n-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		if n > 0 {
			b.WriteString("  ]")
		}
		if ti < len(defs)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("}\n")
	_, err := w.Write(b.Bytes())
	if err != nil {
		return fmt.Errorf("isd: write JSON: %w", err)
	}
	return nil
}

func appendJSONValue(b *bytes.Buffer, k kind, s string) {
	switch k {
	case kindBool, kindInt:
		b.WriteString(s)
	case kindNullString, kindNullDate:
		if s == "" {
			b.WriteString("null")
		} else {
			appendJSONString(b, s)
		}
	case kindList:
		b.WriteByte('[')
		if s != "" {
			for j, it := range strings.Split(s, listSep) {
				if j > 0 {
					b.WriteString(", ")
				}
				appendJSONString(b, it)
			}
		}
		b.WriteByte(']')
	default:
		appendJSONString(b, s)
	}
}

func appendJSONString(b *bytes.Buffer, s string) {
	plain := utf8.ValidString(s)
	for i := 0; plain && i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			plain = false
		}
	}
	if plain {
		b.WriteByte('"')
		b.WriteString(s)
		b.WriteByte('"')
		return
	}
	enc, _ := json.Marshal(s)
	b.Write(enc)
}
