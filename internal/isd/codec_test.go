package isd

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/mhhs/mhhs/internal/market"
)

func roundTripJSON(t *testing.T, ds *Dataset) (*Dataset, []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := ds.EncodeJSON(&b); err != nil {
		t.Fatal(err)
	}
	out, err := DecodeJSON(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("DecodeJSON: %v", err)
	}
	return out, b.Bytes()
}

// equalTables reports the differences between want and got. The loss
// factor tables, large and made of comparable values, are compared with
// ==; the rest with cmp.Diff.
func equalTables(t *testing.T, want, got Tables) {
	t.Helper()
	if !slices.Equal(want.LossFactorProfiles, got.LossFactorProfiles) {
		t.Error("loss factor profiles differ")
	}
	if !slices.Equal(want.LossFactorDays, got.LossFactorDays) {
		t.Error("loss factor days differ")
	}
	want.LossFactorProfiles, want.LossFactorDays = nil, nil
	got.LossFactorProfiles, got.LossFactorDays = nil, nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tables differ (-want +got):\n%s", diff)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	def, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for name, ds := range map[string]*Dataset{"test": testDataset(t), "default": def} {
		t.Run(name, func(t *testing.T) {
			got, enc := roundTripJSON(t, ds)
			equalTables(t, ds.Tables(), got.Tables())
			if !json.Valid(enc) {
				t.Error("encoding is not valid JSON")
			}
			var again bytes.Buffer
			if err := got.EncodeJSON(&again); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, again.Bytes()) {
				t.Error("encoding is not stable across a round trip")
			}
		})
	}
}

func TestCSVRoundTrip(t *testing.T) {
	def, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for name, ds := range map[string]*Dataset{"test": testDataset(t), "default": def} {
		t.Run(name, func(t *testing.T) {
			fsys := exportCSV(t, ds)
			if len(fsys) != len(CSVFiles()) {
				t.Errorf("wrote %d files, want %d", len(fsys), len(CSVFiles()))
			}
			got, err := ReadCSV(fsys)
			if err != nil {
				t.Fatalf("ReadCSV: %v", err)
			}
			equalTables(t, ds.Tables(), got.Tables())
		})
	}
}

func TestJSONForm(t *testing.T) {
	_, enc := roundTripJSON(t, testDataset(t))
	for _, want := range []string{
		`{"mpid": "AMBR", "dipId": "2300000001", "name": "Amberline", "roles": ["SDS", "SUP"], "effectiveFrom": "2025-07-01", "effectiveTo": null}`,
		`{"id": 211, "description": "smart domestic AI losses actual", "measurementQuantity": "AI", "segment": "S", "domestic": true, "component": "L", "quality": "A", "gspGroupCorrection": true, "scalingWeight": "0.500000", "effectiveFrom": "2025-04-01", "effectiveTo": null}`,
		`{"id": 120, "description": "smart non-domestic AI consumption", "measurementQuantity": "AI", "segment": "S", "domestic": false, "component": "C", "quality": null,`,
		`{"gspGroup": null, "connectionType": "U", "segment": "U", "domestic": null, "measurementQuantity": "AI",`,
		`"profile": "RAMP", "factors": ["1.060001","1.060002",`,
	} {
		if !strings.Contains(string(enc), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
}

func TestWriteCSVClosesAndReportsErrors(t *testing.T) {
	ds := testDataset(t)
	closed := 0
	err := ds.WriteCSV(func(string) (io.Writer, error) {
		return closer{&bytes.Buffer{}, &closed}, nil
	})
	if err != nil || closed != len(CSVFiles()) {
		t.Errorf("WriteCSV = %v, closed %d of %d", err, closed, len(CSVFiles()))
	}
	boom := errors.New("boom")
	err = ds.WriteCSV(func(string) (io.Writer, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Errorf("WriteCSV with failing create = %v", err)
	}
}

type closer struct {
	*bytes.Buffer
	n *int
}

func (c closer) Close() error { *c.n++; return nil }

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(t *testing.T, fsys fstest.MapFS) (file string, row int, column string)
		table  string
		target error
	}{
		{"bad MPID", func(t *testing.T, fsys fstest.MapFS) (string, int, string) {
			return "participants.csv", editCSV(t, fsys, "participants.csv", is("mpid", "BRKW"), "mpid", "Brkw"), "mpid"
		}, "participants", market.ErrMPID},
		{"unknown GSP group", func(t *testing.T, fsys fstest.MapFS) (string, int, string) {
			return "bm_units.csv", editCSV(t, fsys, "bm_units.csv", is("id", "2__ABRKW000"), "gspGroup", "_O"), "gspGroup"
		}, "bmUnits", market.ErrGSPGroup},
		{"CCC id outside 100..999", func(t *testing.T, fsys fstest.MapFS) (string, int, string) {
			return "cccs.csv", editCSV(t, fsys, "cccs.csv", is("id", "120"), "id", "1200"), "id"
		}, "cccs", ErrOutOfRange},
		{"CCC id not a number", func(t *testing.T, fsys fstest.MapFS) (string, int, string) {
			return "cccs.csv", editCSV(t, fsys, "cccs.csv", is("id", "120"), "id", "12O"), "id"
		}, "cccs", ErrSyntax},
		{"overlapping ranges", func(t *testing.T, fsys fstest.MapFS) (string, int, string) {
			editCSV(t, fsys, "participants.csv", is("effectiveTo", "2025-06-30"), "effectiveTo", "2025-12-31")
			return "participants.csv", 3, "" // the second AMBR row, after the header and the first
		}, "participants", ErrOverlap},
		{"factor with 2 decimals", func(t *testing.T, fsys fstest.MapFS) (string, int, string) {
			return "loss_factor_profiles.csv", editCSV(t, fsys, "loss_factor_profiles.csv", is("profile", "RAMP"), "p17", "1.06"), "p17"
		}, "lossFactorProfiles", ErrFactor},
		{"bad date", func(t *testing.T, fsys fstest.MapFS) (string, int, string) {
			return "sscs.csv", editCSV(t, fsys, "sscs.csv", is("id", "0393"), "effectiveFrom", "2024-02-30"), "effectiveFrom"
		}, "sscs", market.ErrDate},
		{"bad boolean", func(t *testing.T, fsys fstest.MapFS) (string, int, string) {
			return "llfcs.csv", editCSV(t, fsys, "llfcs.csv", is("id", "301"), "metered", "yes"), "metered"
		}, "llfcs", ErrSyntax},
		{"missing file", func(t *testing.T, fsys fstest.MapFS) (string, int, string) {
			delete(fsys, "sscs.csv")
			return "sscs.csv", 0, ""
		}, "sscs", ErrRequired},
		{"unknown column", func(t *testing.T, fsys fstest.MapFS) (string, int, string) {
			f := fsys["sscs.csv"]
			f.Data = bytes.Replace(f.Data, []byte("description"), []byte("descr"), 1)
			return "sscs.csv", 1, "descr"
		}, "sscs", ErrUnknownColumn},
		{"missing column", func(t *testing.T, fsys fstest.MapFS) (string, int, string) {
			f := fsys["sscs.csv"]
			f.Data = bytes.Replace(f.Data, []byte("description"), []byte("descr"), 1)
			return "sscs.csv", 1, "description"
		}, "sscs", ErrRequired},
		{"short row", func(t *testing.T, fsys fstest.MapFS) (string, int, string) {
			f := fsys["sscs.csv"]
			f.Data = append(f.Data, "0999,x\n"...)
			return "sscs.csv", 4, ""
		}, "sscs", ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := exportCSV(t, testDataset(t))
			file, row, column := tt.edit(t, fsys)
			_, err := ReadCSV(fsys)
			wantFieldError(t, err, file, tt.table, row, column, tt.target)
		})
	}
}

func TestFieldErrorMessage(t *testing.T) {
	fsys := exportCSV(t, testDataset(t))
	row := editCSV(t, fsys, "participants.csv", is("mpid", "BRKW"), "mpid", "brkw")
	_, err := ReadCSV(fsys)
	want := `isd: participants.csv row ` + strconv.Itoa(row) + ` column mpid value "brkw": want 4 upper-case letters: malformed market participant id`
	if fes := fieldErrors(err); len(fes) == 0 || fes[0].Error() != want {
		t.Errorf("error = %v\nwant %s", err, want)
	}
}

// editJSON decodes the JSON form of ds, applies edit to it and encodes it
// again.
func editJSON(t *testing.T, ds *Dataset, edit func(doc map[string]any)) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := ds.EncodeJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func row(doc map[string]any, table string, i int) map[string]any {
	return doc[table].([]any)[i].(map[string]any)
}

func TestDecodeJSONErrors(t *testing.T) {
	// Rows are in canonical order: participants AMBR, AMBR, BRKW, DEAS,
	// IMEA; cccs 111, 112, 120, 211.
	tests := []struct {
		name   string
		edit   func(doc map[string]any)
		table  string
		row    int
		column string
		target error
	}{
		{"bad MPID", func(doc map[string]any) { row(doc, "participants", 2)["mpid"] = "BRK" }, "participants", 3, "mpid", market.ErrMPID},
		{"unknown GSP group", func(doc map[string]any) { row(doc, "gspGroups", 1)["id"] = "_Q" }, "gspGroups", 2, "id", market.ErrGSPGroup},
		{"CCC id outside 100..999", func(doc map[string]any) { row(doc, "cccs", 2)["id"] = 99 }, "cccs", 3, "id", ErrOutOfRange},
		{"CCC id not an integer", func(doc map[string]any) { row(doc, "cccs", 2)["id"] = 120.5 }, "cccs", 3, "id", ErrSyntax},
		{"CCC id a string", func(doc map[string]any) { row(doc, "cccs", 2)["id"] = "120" }, "cccs", 3, "id", ErrSyntax},
		{"overlapping ranges", func(doc map[string]any) { row(doc, "participants", 0)["effectiveTo"] = nil }, "participants", 2, "", ErrOverlap},
		{"factor with 7 decimals", func(doc map[string]any) {
			row(doc, "lossFactorProfiles", 1)["factors"].([]any)[5] = "1.0600061"
		}, "lossFactorProfiles", 2, "factors[5]", ErrFactor},
		{"factor as a number", func(doc map[string]any) {
			row(doc, "lossFactorProfiles", 1)["factors"].([]any)[5] = 1.06
		}, "lossFactorProfiles", 2, "factors[5]", ErrSyntax},
		{"47 factors", func(doc map[string]any) {
			r := row(doc, "lossFactorProfiles", 1)
			r["factors"] = r["factors"].([]any)[1:]
		}, "lossFactorProfiles", 2, "factors", ErrSyntax},
		{"unknown key", func(doc map[string]any) { row(doc, "sscs", 0)["colour"] = "red" }, "sscs", 1, "colour", ErrUnknownColumn},
		{"missing key", func(doc map[string]any) { delete(row(doc, "sscs", 0), "description") }, "sscs", 1, "description", ErrRequired},
		{"null where not nullable", func(doc map[string]any) { row(doc, "sscs", 0)["effectiveFrom"] = nil }, "sscs", 1, "effectiveFrom", ErrRequired},
		{"boolean as string", func(doc map[string]any) { row(doc, "llfcs", 0)["metered"] = "true" }, "llfcs", 1, "metered", ErrSyntax},
		{"missing table", func(doc map[string]any) { delete(doc, "sscs") }, "sscs", 0, "", ErrRequired},
		{"unknown table", func(doc map[string]any) { doc["meters"] = []any{} }, "meters", 0, "", ErrUnknownColumn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := editJSON(t, testDataset(t), tt.edit)
			_, err := DecodeJSON(bytes.NewReader(in))
			wantFieldError(t, err, "", tt.table, tt.row, tt.column, tt.target)
		})
	}
}

func TestDecodeJSONNotADataset(t *testing.T) {
	for _, in := range []string{``, `[]`, `{"gspGroups": {}}`, `{"gspGroups": [1]}`, `{} {}`, `{"gspGroups": [`} {
		if _, err := DecodeJSON(strings.NewReader(in)); !errors.Is(err, ErrSyntax) {
			t.Errorf("DecodeJSON(%q) = %v, want ErrSyntax", in, err)
		}
	}
}

func TestReadCSVIgnoresOtherFiles(t *testing.T) {
	fsys := exportCSV(t, testDataset(t))
	fsys["README.md"] = &fstest.MapFile{Data: []byte("hello")}
	fsys["sub/x.csv"] = &fstest.MapFile{Data: []byte("a,b\n")}
	if _, err := ReadCSV(fsys); err != nil {
		t.Fatal(err)
	}
	// A byte order mark before the header is accepted.
	fsys["sscs.csv"].Data = append([]byte("\uFEFF"), fsys["sscs.csv"].Data...)
	if _, err := ReadCSV(fsys); err != nil {
		t.Fatalf("with BOM: %v", err)
	}
	var _ fs.FS = fsys
}

func FuzzDecodeJSON(f *testing.F) {
	var b bytes.Buffer
	ds, err := New(testTables())
	if err != nil {
		f.Fatal(err)
	}
	if err := ds.EncodeJSON(&b); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte(`{"gspGroups": [{"id": "_A", "name": "x", "effectiveFrom": "2024-01-01"}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		ds, err := DecodeJSON(bytes.NewReader(in))
		if err != nil {
			if len(fieldErrors(err)) == 0 && !errors.Is(err, ErrSyntax) {
				t.Fatalf("error neither a FieldError nor ErrSyntax: %v", err)
			}
			return
		}
		got, _ := roundTripJSON(t, ds)
		if d := Diff(ds, got); len(d) != 0 {
			t.Fatalf("round trip changed %v", d)
		}
	})
}
