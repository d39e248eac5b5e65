package isd

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// CSVFiles returns the names of the CSV files of a dataset, one per table,
// in table order.
func CSVFiles() []string {
	var names []string
	for _, td := range tables() {
		names = append(names, td.fileName())
	}
	return names
}

// ReadCSV reads a dataset from the CSV files named by CSVFiles at the root
// of fsys; other files are ignored. Each file has a header line naming its
// columns, in any order; every column is required and no other is allowed.
// Errors are *FieldError values, joined, naming the file, the line (the
// header is line 1) and the column.
func ReadCSV(fsys fs.FS) (*Dataset, error) {
	t, loc, err := readCSVTables(fsys, nil)
	if err != nil {
		return nil, err
	}
	return build(t, loc)
}

// readCSVTables reads the tables of fsys, except the files skip reports,
// and returns them in input order with their locator.
func readCSVTables(fsys fs.FS, skip func(file string) bool) (Tables, locator, error) {
	var t Tables
	lines := make(map[string][]int)
	files := make(map[string]string)
	l := &errorList{}
	for _, td := range tables() {
		if skip != nil && skip(td.fileName()) {
			continue
		}
		files[td.tableName()] = td.fileName()
		lines[td.tableName()] = readCSVTable(l, fsys, td, &t)
		if l.full() {
			break
		}
	}
	loc := func(table string, i int) (string, int) {
		if ls := lines[table]; i >= 0 && i < len(ls) {
			return files[table], ls[i]
		}
		return files[table], 0
	}
	return t, loc, l.err()
}

// readCSVTable reads the table td into t and returns the line of each row.
func readCSVTable(l *errorList, fsys fs.FS, td tableDef, t *Tables) []int {
	name, table := td.fileName(), td.tableName()
	fail := func(row int, column, value string, err error) {
		l.errs = append(l.errs, &FieldError{File: name, Table: table, Row: row, Column: column, Value: value, Err: err})
	}
	f, err := fsys.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("file missing: %w", ErrRequired)
		}
		fail(0, "", "", err)
		return nil
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err == io.EOF {
		fail(1, "", "", fmt.Errorf("no header line: %w", ErrRequired))
		return nil
	}
	if err != nil {
		fail(csvLine(err), "", "", fmt.Errorf("%w: %w", csvCause(err), ErrSyntax))
		return nil
	}
	header[0] = strings.TrimPrefix(header[0], "\uFEFF")
	meta := td.meta()
	pos := make([]int, len(meta)) // pos[c] is the record index of column c
	for c := range pos {
		pos[c] = -1
	}
	for j, h := range header {
		c := columnIndex(meta, h)
		switch {
		case c < 0:
			fail(1, h, "", fmt.Errorf("not a column of %s: %w", table, ErrUnknownColumn))
		case pos[c] >= 0:
			fail(1, h, "", fmt.Errorf("column given twice: %w", ErrDuplicate))
		default:
			pos[c] = j
		}
	}
	for c, p := range pos {
		if p < 0 {
			fail(1, meta[c].name, "", fmt.Errorf("column missing: %w", ErrRequired))
		}
	}
	if len(l.errs) > 0 {
		return nil
	}
	var records [][]string
	var lines []int
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			fail(csvLine(err), "", "", fmt.Errorf("%w: %w", csvCause(err), ErrSyntax))
			return nil
		}
		line, _ := r.FieldPos(0)
		records = append(records, rec)
		lines = append(lines, line)
	}
	td.resize(t, len(records))
	for i, rec := range records {
		for c, p := range pos {
			if err := td.setCell(t, i, c, rec[p]); err != nil {
				fail(lines[i], meta[c].name, rec[p], err)
				if l.full() {
					return lines
				}
			}
		}
	}
	return lines
}

func columnIndex(meta []colMeta, name string) int {
	for c, m := range meta {
		if m.name == name {
			return c
		}
	}
	return -1
}

func csvLine(err error) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Line
	}
	return 0
}

func csvCause(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// WriteCSV writes ds as one CSV file per table, in canonical order, calling
// create for each file name CSVFiles lists. A writer that is also an
// io.Closer is closed after its file is written. Lists are written with
// items separated by ';', open effective-to dates and nulls as empty cells.
func (ds *Dataset) WriteCSV(create func(name string) (io.Writer, error)) error {
	for _, td := range tables() {
		if err := writeCSVTable(ds, td, create); err != nil {
			return err
		}
	}
	return nil
}

func writeCSVTable(ds *Dataset, td tableDef, create func(string) (io.Writer, error)) (err error) {
	w, err := create(td.fileName())
	if err != nil {
		return fmt.Errorf("isd: create %s: %w", td.fileName(), err)
	}
	if c, ok := w.(io.Closer); ok {
		defer func() {
			if cerr := c.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("isd: close %s: %w", td.fileName(), cerr)
			}
		}()
	}
	cw := csv.NewWriter(w)
	meta := td.meta()
	rec := make([]string, len(meta))
	for c, m := range meta {
		rec[c] = m.name
	}
	if err := cw.Write(rec); err != nil {
		return fmt.Errorf("isd: write %s: %w", td.fileName(), err)
	}
	t := &ds.t
	for i := range td.length(t) {
		for c := range meta {
			rec[c] = td.cell(t, i, c)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("isd: write %s: %w", td.fileName(), err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("isd: write %s: %w", td.fileName(), err)
	}
	return nil
}
