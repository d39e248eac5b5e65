package catalogue

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

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

func TestRejectionMessage(t *testing.T) {
	if got, want := REG1021.Message(), "REG1021 - Requesting Supplier is not the Current Supplier"; got != want {
		t.Errorf("REG1021.Message() = %q, want %q", got, want)
	}
	if got, want := DSCA999.Message(), "DSCA999 - Rejected"; got != want {
		t.Errorf("DSCA999.Message() = %q, want %q", got, want)
	}
	if got := RejectionCode("REG9999").Message(); got != "REG9999" {
		t.Errorf("an unknown code's Message() = %q, want the code alone", got)
	}
	for _, c := range RejectionCodes() {
		msg := c.Message()
		if n := utf8.RuneCountInString(msg); n > 200 || n < 1 {
			t.Errorf("%s: message of %d characters, the contract allows 1..200", c, n)
		}
		// No catalogue description needs cutting.
		if msg != string(c)+" - "+c.Description() {
			t.Errorf("%s: Message() = %q", c, msg)
		}
		if got, ok := ParseRejection(msg); !ok || got != c {
			t.Errorf("ParseRejection(%q) = %q, %v; want %s", msg, got, ok, c)
		}
	}
}

// TestRejectionMessageCut checks the cut that keeps a text within the 200
// code points of DT-005N-StatusErrorMessage.
func TestRejectionMessageCut(t *testing.T) {
	const prefix = "REG1021 - " // 10 code points: 190 left for the description
	tests := []struct {
		name, description, want string
	}{
		{"fits exactly", strings.Repeat("a", 190), prefix + strings.Repeat("a", 190)},
		{"one over", strings.Repeat("a", 191), prefix + strings.Repeat("a", 189) + "…"},
		{"long", strings.Repeat("b", 1000), prefix + strings.Repeat("b", 189) + "…"},
		// Code points, not bytes: "é" is two bytes.
		{"multi-byte", strings.Repeat("é", 300), prefix + strings.Repeat("é", 189) + "…"},
		{"multi-byte fits", strings.Repeat("é", 190), prefix + strings.Repeat("é", 190)},
		// A cut after a space drops the space.
		{"space at the cut", strings.Repeat("c", 188) + " " + strings.Repeat("d", 50), prefix + strings.Repeat("c", 188) + "…"},
		{"empty", "", "REG1021"},
	}
	for _, tt := range tests {
		got := rejectionMessage(REG1021, tt.description)
		if got != tt.want {
			t.Errorf("%s: rejectionMessage = %q (%d code points), want %q", tt.name, got, utf8.RuneCountInString(got), tt.want)
		}
		if code, ok := ParseRejection(got); !ok || code != REG1021 {
			t.Errorf("%s: ParseRejection = %q, %v", tt.name, code, ok)
		}
	}
	// A code that leaves no room for a description is given alone.
	long := RejectionCode(strings.Repeat("X", 197))
	if got := rejectionMessage(long, "description"); got != string(long) {
		t.Errorf("a 197-character code: rejectionMessage = %q, want the code alone", got)
	}
	dt, ok := Default().DataType("DT-005N-StatusErrorMessage")
	if !ok || dt.MaxLength != maxStatusMessage {
		t.Errorf("maxStatusMessage is %d, the contract's DT-005N-StatusErrorMessage allows %d", maxStatusMessage, dt.MaxLength)
	}
}

func TestParseRejection(t *testing.T) {
	tests := []struct {
		msg  string
		want RejectionCode
		ok   bool
	}{
		{"REG1021 - Requesting Supplier is not the Current Supplier", REG1021, true},
		{"REG1021 - requesting supplier is not the current supplier", REG1021, true}, // reworded
		{"REG1021 - Requesting Supp…", REG1021, true},                                // cut
		{"REG1021: not the current supplier", REG1021, true},
		{"REG1021-Requesting Supplier", REG1021, true},
		{"REG1021", REG1021, true},
		{"  REG1021 - x", REG1021, true},
		{"\tDSCA999 - Rejected", DSCA999, true},
		{"DSCA001 - Consumption Amendment Period is wholly outside period of responsibility", DSCA001, true},
		{"reg1021 - Requesting Supplier is not the Current Supplier", "", false}, // the code is exact
		{"REG10210 - Requesting Supplier", "", false},                            // a longer code
		{"REG102 - Requesting Supplier", "", false},                              // a shorter one
		{"REG1021X - Requesting Supplier", "", false},
		{"REG9999 - Requesting Supplier is not the Current Supplier", "", false}, // not a catalogue code
		{"MSG1001 - Schema Failure", "", false},
		{"Requesting Supplier is not the Current Supplier", "", false},
		{"- REG1021", "", false},
		{"\nREG1021", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseRejection(tt.msg)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRejection(%q) = %q, %v; want %q, %v", tt.msg, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzParseRejection compares ParseRejection with a plain reference: a
// regular expression for the leading code, looked up in RejectionCodes.
func FuzzParseRejection(f *testing.F) {
	for _, c := range RejectionCodes() {
		f.Add(c.Message())
	}
	for _, s := range []string{"", "REG1021", " REG1021-x", "REG10210 - x", "reg1021 - x", "REG1021é", "\tDSCA999:", "\x00REG1021", "REG1021\xff"} {
		f.Add(s)
	}
	leading := regexp.MustCompile(`^[ \t]*([A-Za-z0-9]*)`)
	codes := RejectionCodes()
	f.Fuzz(func(t *testing.T, msg string) {
		token := RejectionCode(leading.FindStringSubmatch(msg)[1])
		want, wantOK := RejectionCode(""), slices.Contains(codes, token)
		if wantOK {
			want = token
		}
		got, ok := ParseRejection(msg)
		if got != want || ok != wantOK {
			t.Fatalf("ParseRejection(%q) = %q, %v; the reference says %q, %v", msg, got, ok, want, wantOK)
		}
	})
}

// if032 returns a valid IF-032 payload of variant event carrying r as R0.
func if032(t *testing.T, event string, r R0) []byte {
	t.Helper()
	c := Default()
	v, ok := c.Variant("IF-032", event)
	if !ok {
		t.Fatalf("no IF-032 %s", event)
	}
	p, err := c.Decode(c.Example(v, ExampleOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	*p.Common().R0 = r
	b, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRejected(t *testing.T) {
	got := Rejected(REG1021, REG1024)
	a, b := "REG1021 - Requesting Supplier is not the Current Supplier", "REG1024 - Effective Date Cannot be Retrospective"
	if diff := cmp.Diff(R0{ResponseCode: "R", ResponseMessages: []*string{&a, &b}}, got); diff != "" {
		t.Errorf("Rejected(REG1021, REG1024) (-want +got):\n%s", diff)
	}
	if empty := Rejected(); empty.ResponseCode != "R" || empty.ResponseMessages == nil || len(empty.ResponseMessages) != 0 {
		t.Errorf("Rejected() = %+v, want code R and an empty, non-nil list", empty)
	}
}

// TestRejectedValidates builds IF-032 messages with every code's R0, with all
// codes in one R0 and with a cut text, and requires the validator to pass
// them; a text one character over the limit, a rejection without a known
// code and the stray responseCode x must fail.
func TestRejectedValidates(t *testing.T) {
	val := NewValidator(nil)
	check := func(name, event string, r R0, wantOK bool) {
		t.Helper()
		vd, err := val.ValidatePayload("IF-032", if032(t, event, r))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if vd.OK() != wantOK {
			t.Errorf("%s: valid = %v, want %v: %v", name, vd.OK(), wantOK, vd.Findings)
		}
	}
	for _, event := range []string{"[MSAppInitialResp]", "[DSAppInitialResp]"} {
		for _, c := range RejectionCodes() {
			check(string(c), event, Rejected(c), true)
		}
		check("all codes", event, Rejected(RejectionCodes()...), true)
		// A rejection with no reason is refused (MSG2005), as is one whose
		// only reason names no known code; "x" is no response at all.
		check("no code", event, Rejected(), false)
		unknown := "REG9999 - not a code of the catalogue"
		check("unknown code", event, R0{ResponseCode: ResponseCodeR, ResponseMessages: []*string{&unknown}}, false)
		check("null reason", event, R0{ResponseCode: ResponseCodeR, ResponseMessages: []*string{nil}}, false)
		check("responseCode x", event, R0{ResponseCode: ResponseCodeX, ResponseMessages: []*string{}}, false)
		check("accepted with no message", event, R0{ResponseCode: ResponseCodeA, ResponseMessages: []*string{}}, true)
		check("known code after free text", event, R0{ResponseCode: ResponseCodeR, ResponseMessages: []*string{&unknown, ptrTo(REG1021.Message())}}, true)
		cut := rejectionMessage(REG1021, strings.Repeat("é", 500))
		check("cut text", event, R0{ResponseCode: "R", ResponseMessages: []*string{&cut}}, true)
		over := "REG1021 - " + strings.Repeat("é", 191)
		check("201 characters", event, R0{ResponseCode: "R", ResponseMessages: []*string{&over}}, false)
	}
}

func ptrTo(s string) *string { return &s }
