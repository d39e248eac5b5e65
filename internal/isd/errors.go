package isd

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors, wrapped with context (usually in a FieldError). Test for
// them with errors.Is. Errors from internal/market, such as
// market.ErrMPID and market.ErrGSPGroup, are wrapped the same way.
var (
	// ErrFactor reports a factor that is not a decimal with exactly six
	// places.
	ErrFactor = errors.New("malformed factor")
	// ErrSyntax reports a value of the wrong form: a date, integer,
	// boolean or code that does not parse.
	ErrSyntax = errors.New("malformed value")
	// ErrRequired reports a missing value, column, table or file.
	ErrRequired = errors.New("value required")
	// ErrUnknownColumn reports a column or key that the table does not
	// have, or a table that the dataset does not have.
	ErrUnknownColumn = errors.New("unknown column")
	// ErrOutOfRange reports a value outside its allowed range, such as a
	// CCC id outside 100..999 or an effective range that ends before it
	// starts.
	ErrOutOfRange = errors.New("value out of range")
	// ErrOverlap reports two rows with the same key whose effective
	// ranges overlap.
	ErrOverlap = errors.New("overlapping effective ranges")
	// ErrDuplicate reports a key given twice in a table without
	// effective ranges, or an item repeated in a list.
	ErrDuplicate = errors.New("duplicate key")
	// ErrReference reports a reference to a row of another table that
	// does not exist, such as a BM unit of an unknown supplier.
	ErrReference = errors.New("unknown reference")
	// ErrTimetable reports an invalid settlement timetable.
	ErrTimetable = errors.New("invalid settlement timetable")
)

// FieldError is an error in imported or constructed standing data, located
// as precisely as possible.
type FieldError struct {
	// File is the CSV file name, or "" for JSON and for Tables built in
	// code.
	File string
	// Table is the table name, as used for the JSON key, such as
	// "participants".
	Table string
	// Row locates the row: in a CSV file the line number, with the
	// header on line 1; in JSON and in Tables the 1-based element number
	// within the table. 0 means the whole file or table.
	Row int
	// Column is the CSV column or JSON key, such as "mpid"; "" means the
	// whole row.
	Column string
	// Value is the offending value as text, if any.
	Value string
	// Err is the cause, wrapping one of the sentinel errors.
	Err error
}

// Error reports the location, the value and the cause, as in
//
//	isd: participants.csv row 4 column mpid value "abc": want 4 upper-case letters: malformed market participant id
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("isd: ")
	if e.File != "" {
		b.WriteString(e.File)
	} else {
		b.WriteString(e.Table)
	}
	if e.Row > 0 {
		b.WriteString(" row ")
		b.WriteString(strconv.Itoa(e.Row))
	}
	if e.Column != "" {
		b.WriteString(" column ")
		b.WriteString(e.Column)
	}
	if e.Value != "" {
		b.WriteString(" value ")
		b.WriteString(quote(e.Value))
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// quote quotes s for an error message, cutting long input short.
func quote(s string) string {
	const max = 40
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}

// maxErrors caps the errors one import or validation reports.
const maxErrors = 50

// errorList collects FieldErrors up to maxErrors.
type errorList struct {
	errs []error
	loc  locator
	more int
}

// locator maps a table and 0-based row index to the file and row number
// reported in a FieldError. Without one, rows are numbered from 1 within
// their table and there is no file.
type locator func(table string, i int) (file string, row int)

func (l *errorList) add(table string, i int, column, value string, err error) {
	if len(l.errs) >= maxErrors {
		l.more++
		return
	}
	file, row := "", i+1
	if l.loc != nil {
		file, row = l.loc(table, i)
	}
	l.errs = append(l.errs, &FieldError{File: file, Table: table, Row: row, Column: column, Value: value, Err: err})
}

func (l *errorList) full() bool { return len(l.errs) >= maxErrors }

func (l *errorList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	if l.more > 0 {
		l.errs = append(l.errs, errors.New("isd: "+strconv.Itoa(l.more)+" more errors not shown"))
	}
	return errors.Join(l.errs...)
}
