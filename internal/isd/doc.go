// Package isd is Industry Standing Data: the effective-dated reference data
// every settlement service reads, and the settlement timetable.
//
// It owns:
//
//   - the standing data tables (Tables) and one immutable, validated,
//     indexed version of them (Dataset): GSP groups, distributors and
//     IDNOs, market participants and their roles, Supplier BM Units, Line
//     Loss Factor Classes, Consumption Component Classes, load-shape
//     groups, Profile Classes and Standard Settlement Configurations;
//   - "as at" lookups: every row has an effective range and a query for a
//     settlement date answers with the row in force on that date
//     (Dataset.As and the ...At methods);
//   - line loss factors, stored as a dictionary of distinct daily profiles
//     per LLFC referenced by day, with a handle API for allocation-free
//     lookups on the settlement hot path (LossFactorTable,
//     LossFactorSeries), and exact six-decimal fixed-point values
//     (Factor);
//   - import and export of a Dataset as one JSON document or as one CSV file
//     per table, validation with errors that name file, row and column
//     (FieldError), versions (Version) and differences between versions
//     (Diff), and Store, the seam through which adapters keep versions;
//   - the settlement timetable as data: the run types II, SF, R1, R2, R3,
//     RF, DR and DF with their offsets from the settlement date, and the
//     mapping both ways between settlement dates and run dates
//     (Timetable);
//   - the default GB dataset and timetable shipped in data/ (Default,
//     DefaultTimetable). Most of its values are invented and marked as
//     assumptions in data/DATASET.md.
//
// The package is pure domain code: it reads and writes only through the
// io.Reader, io.Writer and fs.FS values it is given, keeps no
// package-level mutable state and has no init functions. It imports only
// the standard library and internal/market. Storage (internal/sqlite and
// internal/postgres implement Store), download, the CLI and the IF-047
// publication live elsewhere and build on Tables, the codecs and Diff.
package isd
