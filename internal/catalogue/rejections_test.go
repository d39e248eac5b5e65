package catalogue

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mhhs/mhhs/reference"
)

// TestGeneratedRejectionsAreCurrent regenerates the rejection codes from
// reference/rejection-codes.json and requires rejections_gen.go and the
// generated table in docs/codes.md to equal the committed ones.
func TestGeneratedRejectionsAreCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator with go run")
	}
	in := filepath.Join(reference.Dir(), "rejection-codes.json")
	docs := filepath.Join(reference.Dir(), "..", "docs", "codes.md")
	committedDocs, err := os.ReadFile(docs)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tmpDocs := filepath.Join(dir, "codes.md")
	if err := os.WriteFile(tmpDocs, committedDocs, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "./gen/rejections", "-in", in, "-out", dir, "-docs", tmpDocs)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generator: %v\n%s", err, out)
	}
	want, _ := os.ReadFile(filepath.Join(dir, "rejections_gen.go"))
	got, _ := os.ReadFile("rejections_gen.go")
	if !bytes.Equal(want, got) {
		t.Errorf("rejections_gen.go is stale: run go run ./internal/catalogue/gen/rejections")
	}
	if regenerated, _ := os.ReadFile(tmpDocs); !bytes.Equal(regenerated, committedDocs) {
		t.Errorf("the rejection codes table in docs/codes.md is stale: run go run ./internal/catalogue/gen/rejections")
	}
}

// TestLookupRejection checks a few codes against the Interface Catalogue as
// read by hand (reference/rejection-codes.json and the catalogue's interface
// entries), not against the generated table.
func TestLookupRejection(t *testing.T) {
	tests := []struct {
		code string
		want RejectionInfo
	}{
		{"REG1021", RejectionInfo{Code: REG1021,
			Description: "Requesting Supplier is not the Current Supplier",
			Resolution:  "This action can only be performed by the current supplier for the MPAN. Please verify the sender is the currently appointed supplier.",
			Catalogue:   []string{"IF-019/PUB-019", "IF-025/PUB-025", "IF-026/PUB-026", "IF-031/PUB-031"},
			Interfaces:  []string{"IF-019", "IF-025", "IF-026", "IF-031"}}},
		{"REG0000", RejectionInfo{Code: REG0000,
			Description: "MPAN Invalid or does not exist.",
			Reason:      "The MPAN Core provided in the request does not exist in the Registration Service or fails the standard checksum validation.",
			Resolution:  "Verify the MPAN Core is correct and has 13 digits. Check the MPAN against a trusted source before resubmitting the interface.",
			Catalogue:   []string{"IF-019/PUB-019", "IF-020/PUB-020", "IF-025/PUB-025", "IF-027/PUB-027", "IF-031/PUB-031"},
			Interfaces:  []string{"IF-019", "IF-020", "IF-025", "IF-027", "IF-031"}}},
		{"REG1099", RejectionInfo{Code: REG1099,
			Description: "Supplier cannot de-appoint a service provider that they did not appoint",
			Reason:      "The supplier sending the request is not the supplier who initially appointed the service provider being de-appointed.",
			Resolution:  "De-appointments can only be requested by the supplier who holds the current appointment. Verify that the correct supplier is making the request.",
			Catalogue:   []string{"IF-032/PUB-032"},
			Interfaces:  []string{"IF-032"}}},
		// The DSCA codes' IF-028 comes from the catalogue, not from the
		// transcription (catalogueAdditions in the generator).
		{"DSCA001", RejectionInfo{Code: DSCA001,
			Description: "Consumption Amendment Period is wholly outside period of responsibility",
			Resolution:  "Verify the dates for the consumption amendment. Ensure the entire period falls within your period of responsibility before resubmitting.",
			Catalogue:   []string{"IF-028/PUB-028"},
			Interfaces:  []string{"IF-028"}}},
		// Named by no interface of the catalogue.
		{"REG1002", RejectionInfo{Code: REG1002,
			Description: "No Valid Appointment held by Metering Service on Relevant Date",
			Resolution:  "To resolve this, ensure that sending metering service id [so.senderid] is currently appointed or held a valid appointment for meter installation date [di-057]. Please check your data and resubmit.",
		}},
	}
	for _, tt := range tests {
		got, ok := LookupRejection(tt.code)
		if !ok {
			t.Errorf("LookupRejection(%q): not found", tt.code)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("LookupRejection(%q) (-want +got):\n%s", tt.code, diff)
		}
		c := RejectionCode(tt.code)
		if c.Description() != tt.want.Description || !slices.Equal(c.Interfaces(), tt.want.Interfaces) {
			t.Errorf("%s: Description() %q, Interfaces() %q; want %q, %q", c, c.Description(), c.Interfaces(), tt.want.Description, tt.want.Interfaces)
		}
	}
	for _, code := range []string{"", "reg1021", "REG1021 ", "REG9999", "REG10210", "MSG1001", "DSCA1"} {
		if info, ok := LookupRejection(code); ok {
			t.Errorf("LookupRejection(%q) = %v, want none", code, info)
		}
		if d := RejectionCode(code).Description(); d != "" {
			t.Errorf("RejectionCode(%q).Description() = %q, want empty", code, d)
		}
	}
}

func TestRejectionCodes(t *testing.T) {
	codes := RejectionCodes()
	reg, dsca := 0, 0
	for _, c := range codes {
		switch {
		case strings.HasPrefix(string(c), "REG"):
			reg++
		case strings.HasPrefix(string(c), "DSCA"):
			dsca++
		}
		if c.Description() == "" {
			t.Errorf("%s: no description", c)
		}
	}
	// The Interface Catalogue has 190 REG and 16 DSCA codes.
	if reg != 190 || dsca != 16 || len(codes) != 206 {
		t.Errorf("%d codes (%d REG, %d DSCA), want 206 (190 REG, 16 DSCA)", len(codes), reg, dsca)
	}
	if !slices.IsSorted(codes) || len(slices.Compact(slices.Clone(codes))) != len(codes) {
		t.Errorf("RejectionCodes() is not sorted and unique")
	}
	codes[0] = "changed"
	if RejectionCodes()[0] != DSCA001 {
		t.Errorf("changing the returned slice changed the next RejectionCodes()")
	}
}

func TestRejectionsFor(t *testing.T) {
	// Counts and members as the catalogue lists them per interface.
	tests := []struct {
		id       string
		n        int
		contains []RejectionCode
		lacks    []RejectionCode
	}{
		{"IF-019", 20, []RejectionCode{REG0000, REG1021, REG1050}, []RejectionCode{REG1099}},
		{"IF-020", 23, []RejectionCode{REG0005, REG9004, REG9010}, []RejectionCode{REG1021}},
		{"IF-025", 17, []RejectionCode{REG1019, REG1020, REG1024}, []RejectionCode{REG9002}},
		{"IF-026", 18, []RejectionCode{REG9002, REG1021}, []RejectionCode{REG0000}},
		{"IF-027", 1, []RejectionCode{REG0000}, nil},
		{"IF-028", 16, []RejectionCode{DSCA001, DSCA015, DSCA999}, []RejectionCode{REG0000}},
		{"IF-031", 40, []RejectionCode{REG1021, REG1024, REG1032}, []RejectionCode{REG1099}},
		{"IF-032", 102, []RejectionCode{REG1043, REG1099, REG1175}, []RejectionCode{REG1021}},
		{"IF-021", 0, nil, nil},
		{"IF-031/PUB-031", 0, nil, nil}, // final ids only
		{"PUB-031", 0, nil, nil},
		{"", 0, nil, nil},
	}
	for _, tt := range tests {
		got := RejectionsFor(tt.id)
		if len(got) != tt.n {
			t.Errorf("RejectionsFor(%q): %d codes, want %d", tt.id, len(got), tt.n)
		}
		for _, c := range tt.contains {
			if !slices.Contains(got, c) {
				t.Errorf("RejectionsFor(%q) lacks %s", tt.id, c)
			}
		}
		for _, c := range tt.lacks {
			if slices.Contains(got, c) {
				t.Errorf("RejectionsFor(%q) has %s", tt.id, c)
			}
		}
		if !slices.IsSorted(got) {
			t.Errorf("RejectionsFor(%q) is not in order", tt.id)
		}
	}
	if got := RejectionsFor("IF-027"); !slices.Equal(got, []RejectionCode{REG0000}) {
		t.Errorf("RejectionsFor(IF-027) = %v, want [REG0000]", got)
	}
}

// TestRejectionInterfaces checks the mapping to final interfaces on every
// code: each catalogue id IF-nnn/PUB-nnn is the contract's interface IF-nnn
// with publication PUB-nnn, and RejectionsFor is the inverse of Interfaces.
func TestRejectionInterfaces(t *testing.T) {
	cat := Default()
	named := 0
	for _, c := range RejectionCodes() {
		info, _ := LookupRejection(string(c))
		var want []string
		for _, id := range info.Catalogue {
			ifID, pub, ok := strings.Cut(id, "/")
			in, found := cat.Interface(ifID)
			if !ok || !found || in.Publication != pub {
				t.Errorf("%s: catalogue interface %q is not an interface and its publication of the contract", c, id)
				continue
			}
			want = append(want, ifID)
		}
		if !slices.Equal(info.Interfaces, want) {
			t.Errorf("%s: catalogue %q maps to %q, want %q", c, info.Catalogue, info.Interfaces, want)
		}
		for _, id := range info.Interfaces {
			if !slices.Contains(RejectionsFor(id), c) {
				t.Errorf("%s names %s, but RejectionsFor(%s) lacks it", c, id, id)
			}
		}
		if len(info.Interfaces) > 0 {
			named++
		}
	}
	for _, in := range cat.Interfaces() {
		for _, c := range RejectionsFor(in.ID) {
			if !slices.Contains(c.Interfaces(), in.ID) {
				t.Errorf("RejectionsFor(%s) has %s, whose interfaces are %q", in.ID, c, c.Interfaces())
			}
		}
	}
	// 37 REG codes are named by no interface (docs/codes.md).
	if named != 206-37 {
		t.Errorf("%d codes name an interface, want %d", named, 206-37)
	}
}
