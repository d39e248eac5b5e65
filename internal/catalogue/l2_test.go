package catalogue

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The L2 cases below are written by hand from the rules as the MHHS
// documents state them, not from the validator's tables:
//
//   - MPAN check digit (reference/mhhs-domain.md §5, after chellow's
//     parse_mpan_core): digits 1–12 times 3, 5, 7, 13, 17, 19, 23, 29, 31,
//     37, 41, 43, summed, mod 11, mod 10, equal digit 13. Worked here:
//     120002330596 sums to 1019 = 92×11 + 7, so 1200023305967 is valid (a
//     plain mod 10 would want 9); 120000000003 sums to 3 + 10 + 129 = 142 =
//     12×11 + 10, so its check digit is 10 mod 10 = 0.
//   - Sender roles: the Interface Catalogue's senders
//     (reference/mhhs-domain.md §1): IF-021 from SDS, ADS or UMSDS; IF-022 from
//     LSS; IF-047 from ISD; IF-005 from MSS or MSA.
//   - senderUniqueReference: S-[(IF|REP)-]nnn[A|B]-<DIP id>-<role>-<yyyymmdd>-<suffix>
//     (reference/mhhs-domain.md §2e), which must name the message's own
//     interface, S1.senderDIPID and S1.senderRoleID and a real date.

// l2Case is one message built from a variant's example, changed at some
// paths, and the findings the validator must report for it, exactly.
type l2Case struct {
	name         string
	iface, event string
	role         string            // S1.senderRoleID; "" for the interface's first sender
	set          map[string]string // path under the payload -> new string value
	want         []string          // "path rule code", in order; none means valid
}

func TestL2Findings(t *testing.T) {
	const m0 = "payload.CommonBlock.M0.MPANCore"
	const sur = "payload.CommonBlock.S1.senderUniqueReference"
	const role = "payload.CommonBlock.S1.senderRoleID"
	ref := func(s string) map[string]string {
		return map[string]string{"CommonBlock.S1.senderUniqueReference": s}
	}
	mpan := func(path, v string) map[string]string { return map[string]string{path: v} }
	for _, tt := range []l2Case{
		// MSG2001: the MPAN check digit, wherever an MPAN (DT-002) is.
		{name: "valid MPAN", iface: "IF-021", event: "ActivePower", set: mpan("CommonBlock.M0.MPANCore", "1200023305967")},
		{name: "valid MPAN whose sum is 10 mod 11", iface: "IF-021", event: "ActivePower", set: mpan("CommonBlock.M0.MPANCore", "1200000000030")},
		{name: "check digit of a plain mod 10", iface: "IF-021", event: "ActivePower", set: mpan("CommonBlock.M0.MPANCore", "1200023305969"),
			want: []string{m0 + " mpanCheckDigit MSG2001"}},
		{name: "check digit one more", iface: "IF-021", event: "ActivePower", set: mpan("CommonBlock.M0.MPANCore", "1200023305968"),
			want: []string{m0 + " mpanCheckDigit MSG2001"}},
		{name: "check digit 10 not reduced mod 10", iface: "IF-021", event: "ActivePower", set: mpan("CommonBlock.M0.MPANCore", "1200000000031"),
			want: []string{m0 + " mpanCheckDigit MSG2001"}},
		{name: "two digits swapped", iface: "IF-021", event: "ActivePower", set: mpan("CommonBlock.M0.MPANCore", "1200032305967"),
			want: []string{m0 + " mpanCheckDigit MSG2001"}},
		{name: "MPAN of 12 digits is an L1 failure", iface: "IF-021", event: "ActivePower", set: mpan("CommonBlock.M0.MPANCore", "120002330596"),
			want: []string{m0 + " minLength MSG1001", m0 + " pattern MSG1001"}},
		// L2 checks run only on values that passed L1: a value that is
		// not an MPAN, or not a date-time, has no check digit or instant.
		{name: "MPAN with a letter is an L1 failure only", iface: "IF-021", event: "ActivePower", set: mpan("CommonBlock.M0.MPANCore", "12000233059A7"),
			want: []string{m0 + " pattern MSG1001"}},
		{name: "date-time in Z form is an L1 failure only", iface: "IF-021", event: "ActivePower",
			set:  map[string]string{"CommonBlock.S1.senderTimestamp": "2025-04-01T00:00:00Z"},
			want: []string{"payload.CommonBlock.S1.senderTimestamp minLength MSG1001"}},
		{name: "linked MPAN in a custom block", iface: "IF-001", event: "InitialRegistration",
			set:  mpan("CustomBlock.B035List[0].linkedImportExportMPAN", "1200023305968"),
			want: []string{"payload.CustomBlock.B035List[0].linkedImportExportMPAN mpanCheckDigit MSG2001"}},
		{name: "nullable MPAN", iface: "IF-001", event: "InitialRegistration",
			set:  mpan("CustomBlock.B037List[0].primaryMPAN", "1200000000031"),
			want: []string{"payload.CustomBlock.B037List[0].primaryMPAN mpanCheckDigit MSG2001"}},
		{name: "principal MPAN in M1", iface: "IF-019", event: "LinkedImportExportCreate",
			set:  mpan("CommonBlock.M1.principalMPAN", "1200023305969"),
			want: []string{"payload.CommonBlock.M1.principalMPAN mpanCheckDigit MSG2001"}},
		{name: "subsidiary MPAN", iface: "IF-019", event: "LinkedImportExportCreate",
			set:  mpan("CustomBlock.B090List[0].subsidiaryMPAN", "1200023305969"),
			want: []string{"payload.CustomBlock.B090List[0].subsidiaryMPAN mpanCheckDigit MSG2001"}},

		// MSG2002: S1.senderRoleID must be a sender of the interface. The
		// example's senderUniqueReference names the same role, so that only
		// the role check can fail.
		{name: "IF-021 from SDS", iface: "IF-021", event: "ActivePower", role: "SDS"},
		{name: "IF-021 from ADS", iface: "IF-021", event: "ActivePower", role: "ADS"},
		{name: "IF-021 from UMSDS", iface: "IF-021", event: "ReactivePower", role: "UMSDS"},
		{name: "IF-021 from a supplier", iface: "IF-021", event: "ActivePower", role: "SUP", want: []string{role + " senderRole MSG2002"}},
		{name: "IF-021 from its recipient LSS", iface: "IF-021", event: "ActivePower", role: "LSS", want: []string{role + " senderRole MSG2002"}},
		{name: "IF-022 from LSS", iface: "IF-022", event: "LSSPeriodData", role: "LSS"},
		{name: "IF-022 from a data service", iface: "IF-022", event: "LSSPeriodData", role: "SDS", want: []string{role + " senderRole MSG2002"}},
		{name: "IF-047 from ISD", iface: "IF-047", event: "ISD", role: "ISD"},
		{name: "IF-047 from REGS", iface: "IF-047", event: "ISD", role: "REGS", want: []string{role + " senderRole MSG2002"}},
		{name: "IF-005 from MSA", iface: "IF-005", event: "MeterInstall", role: "MSA"},
		{name: "IF-005 from a supplier", iface: "IF-005", event: "MeterInstall", role: "SUP", want: []string{role + " senderRole MSG2002"}},

		// MSG2003: the reference agrees with S0 and S1 (IF-021 from
		// 1000000001 as SDS).
		{name: "reference as sent", iface: "IF-021", event: "ActivePower", set: ref("S-IF-021-1000000001-SDS-20250401-1")},
		{name: "reference without IF-", iface: "IF-021", event: "ActivePower", set: ref("S-021-1000000001-SDS-20250401-abcXYZ9")},
		{name: "reference names IF-022", iface: "IF-021", event: "ActivePower", set: ref("S-IF-022-1000000001-SDS-20250401-1"),
			want: []string{sur + " senderUniqueReference MSG2003"}},
		{name: "reference names 022", iface: "IF-021", event: "ActivePower", set: ref("S-022-1000000001-SDS-20250401-1"),
			want: []string{sur + " senderUniqueReference MSG2003"}},
		{name: "reference names REP-021", iface: "IF-021", event: "ActivePower", set: ref("S-REP-021-1000000001-SDS-20250401-1"),
			want: []string{sur + " senderUniqueReference MSG2003"}},
		{name: "reference names 021A", iface: "IF-021", event: "ActivePower", set: ref("S-IF-021A-1000000001-SDS-20250401-1"),
			want: []string{sur + " senderUniqueReference MSG2003"}},
		{name: "reference names another DIP id", iface: "IF-021", event: "ActivePower", set: ref("S-IF-021-1000000002-SDS-20250401-1"),
			want: []string{sur + " senderUniqueReference MSG2003"}},
		{name: "reference names another role", iface: "IF-021", event: "ActivePower", set: ref("S-IF-021-1000000001-ADS-20250401-1"),
			want: []string{sur + " senderUniqueReference MSG2003"}},
		{name: "reference dated 31 February", iface: "IF-021", event: "ActivePower", set: ref("S-IF-021-1000000001-SDS-20250231-1"),
			want: []string{sur + " senderUniqueReference MSG2003"}},
		{name: "reference dated month 13", iface: "IF-021", event: "ActivePower", set: ref("S-IF-021-1000000001-SDS-20251301-1"),
			want: []string{sur + " senderUniqueReference MSG2003"}},
		{name: "reference of a lettered report", iface: "REP-002A", event: "DUoSEmbeddedLDSOAggData", role: "ECS",
			set: ref("S-REP-002A-1000000001-ECS-20250401-7")},
		{name: "reference names the other letter", iface: "REP-002A", event: "DUoSEmbeddedLDSOAggData", role: "ECS",
			set:  ref("S-REP-002B-1000000001-ECS-20250401-7"),
			want: []string{sur + " senderUniqueReference MSG2003"}},
		{name: "reference names the unlettered report", iface: "REP-002A", event: "DUoSEmbeddedLDSOAggData", role: "ECS",
			set:  ref("S-REP-002-1000000001-ECS-20250401-7"),
			want: []string{sur + " senderUniqueReference MSG2003"}},
		{name: "reference off its pattern is an L1 failure only", iface: "IF-021", event: "ActivePower",
			set:  ref("S-IF-021-1000000002-SDS-2025041-1"),
			want: []string{sur + " pattern MSG1001"}},
		{name: "S1 DIP id other than the reference's", iface: "IF-021", event: "ActivePower",
			set:  map[string]string{"CommonBlock.S1.senderDIPID": "1000000002"},
			want: []string{sur + " senderUniqueReference MSG2003"}},

		// MSG2004: real instants and dates.
		{name: "29 February of a leap year", iface: "IF-021", event: "ActivePower",
			set: map[string]string{"CommonBlock.S1.senderTimestamp": "2024-02-29T23:59:59+00:00"}},
		{name: "29 February of another year", iface: "IF-021", event: "ActivePower",
			set:  map[string]string{"CommonBlock.S1.senderTimestamp": "2025-02-29T00:00:00+00:00"},
			want: []string{"payload.CommonBlock.S1.senderTimestamp dateTime MSG2004"}},
		{name: "offset beyond 14 hours", iface: "IF-021", event: "ActivePower",
			set:  map[string]string{"CommonBlock.S1.senderTimestamp": "2025-04-01T00:00:00+14:30"},
			want: []string{"payload.CommonBlock.S1.senderTimestamp dateTime MSG2004"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := examplePayload(t, tt.iface, tt.event, ExampleOptions{Full: true, SenderRole: tt.role})
			for path, v := range tt.set {
				p.setString(t, path, v)
			}
			got := findingKeys(validate(t, tt.iface, p))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestL2FindingsAreLevel2 checks the level and code of each L2 rule's
// findings on one message that breaks all three at once.
func TestL2FindingsAreLevel2(t *testing.T) {
	p := examplePayload(t, "IF-021", "ActivePower", ExampleOptions{SenderRole: "SUP"})
	p.setString(t, "CommonBlock.M0.MPANCore", "1200023305968")
	p.setString(t, "CommonBlock.S1.senderUniqueReference", "S-IF-021-1000000002-SUP-20250401-1")
	vd := validate(t, "IF-021", p)
	want := map[Code]Rule{MSG2001: RuleMPANCheckDigit, MSG2002: RuleSenderRole, MSG2003: RuleSenderUniqueReference}
	for _, f := range vd.Findings {
		if f.Level != 2 || want[f.Code] != f.Rule {
			t.Errorf("finding %v: want level 2 and one of %v", f, want)
		}
		delete(want, f.Code)
	}
	if len(want) > 0 {
		t.Errorf("no finding for %v in %v", want, vd.Findings)
	}
	if vd.Code() != MSG2001 {
		t.Errorf("verdict code %s, want MSG2001 (the first finding, in document order)", vd.Code())
	}
}

// examplePayload returns the catalogue's example payload of a variant,
// parsed so that a test can change it.
func examplePayload(t *testing.T, iface, event string, opt ExampleOptions) *jv {
	t.Helper()
	v, ok := Default().Variant(iface, event)
	if !ok {
		t.Fatalf("no variant %s %s", iface, event)
	}
	return parseJV(t, Default().Example(v, opt))
}

// validate runs ValidatePayload on p for channel iface.
func validate(t *testing.T, iface string, p *jv) Verdict {
	t.Helper()
	vd, err := NewValidator(nil).ValidatePayload(iface, p.bytes())
	if err != nil {
		t.Fatalf("ValidatePayload: %v", err)
	}
	return vd
}

// findingKeys lists findings as "path rule code".
func findingKeys(vd Verdict) []string {
	var out []string
	for _, f := range vd.Findings {
		out = append(out, f.Path+" "+string(f.Rule)+" "+string(f.Code))
	}
	return out
}

// at returns the value at path below v: keys separated by dots, array
// items as [i] after a key, e.g. "CustomBlock.B035List[0].primaryMPAN".
func (v *jv) at(t *testing.T, path string) *jv {
	t.Helper()
	cur := v
	for _, step := range strings.Split(path, ".") {
		key, rest, _ := strings.Cut(step, "[")
		if cur = cur.get(key); cur == nil {
			t.Fatalf("no key %q on the way to %s", key, path)
		}
		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			i, err := strconv.Atoi(idx)
			if err != nil || !cur.isArr || i >= len(cur.arr) {
				t.Fatalf("no item %s on the way to %s", idx, path)
			}
			cur = cur.arr[i]
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return cur
}

// setString sets the value at path to the JSON string s.
func (v *jv) setString(t *testing.T, path, s string) {
	t.Helper()
	b, _ := json.Marshal(s)
	v.setRaw(t, path, string(b))
}

// setRaw sets the value at path to raw JSON (a scalar).
func (v *jv) setRaw(t *testing.T, path, raw string) {
	t.Helper()
	*v.at(t, path) = jv{scalar: json.RawMessage(raw)}
}

// TestCheckResponse: R0 on an interface for which the Interface Catalogue
// names no rejection codes: a rejection needs a reason, in any words; and
// on one that names codes, a reason must start with one of them.
func TestCheckResponse(t *testing.T) {
	var free, coded string
	for _, in := range Default().Interfaces() {
		switch {
		case free == "" && len(RejectionsFor(in.ID)) == 0:
			free = in.ID
		case coded == "" && len(RejectionsFor(in.ID)) > 0:
			coded = in.ID
		}
	}
	if free == "" || coded == "" {
		t.Fatalf("no interface without rejection codes (%q) or with them (%q)", free, coded)
	}
	known := string(RejectionsFor(coded)[0]) + " - the reason"
	for _, tt := range []struct {
		iface, code string
		messages    []string
		refused     bool
	}{
		{free, "R", nil, true},
		{free, "R", []string{""}, true},
		{free, "R", []string{"the meter is not ours"}, false},
		{free, "A", nil, false},
		{free, "x", nil, true},
		{coded, "R", nil, true},
		{coded, "R", []string{"the meter is not ours"}, true},
		{coded, "R", []string{"free text", known}, false},
	} {
		if got := checkResponse(tt.iface, tt.code, tt.messages); (got != "") != tt.refused {
			t.Errorf("checkResponse(%s, %s, %q) = %q, want refused %v", tt.iface, tt.code, tt.messages, got, tt.refused)
		}
	}
}

// TestDuplicateKey: a key twice in one object is an L1 failure
// (duplicateKey, MSG1001), whether the validator read the key by its fast
// path (the field expected next) or by name, in a captured envelope field
// or in a custom block.
func TestDuplicateKey(t *testing.T) {
	v, ok := Default().Variant("IF-021", "ActivePower")
	if !ok {
		t.Fatal("no IF-021 ActivePower")
	}
	example := string(Default().Example(v, ExampleOptions{Full: true}))
	for _, key := range []string{`"senderDIPID":`, `"MPANCore":`, `"connectionTypeIndicator":`, `"periodDuration":`} {
		t.Run(key, func(t *testing.T) {
			i := strings.Index(example, key)
			if i < 0 {
				t.Fatalf("no %s in the example", key)
			}
			// The key again, with the value it has: only the repetition is wrong.
			vs := i + len(key)
			end := vs + strings.IndexAny(example[vs:], ",}")
			body := example[:end] + "," + key + example[vs:end] + example[end:]
			vd, err := NewValidator(nil).ValidatePayload("IF-021", []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			var dups int
			for _, f := range vd.Findings {
				if f.Rule == RuleDuplicateKey && f.Code == MSG1001 {
					dups++
				}
			}
			if vd.OK() || dups != 1 || len(vd.Findings) != 1 {
				t.Errorf("%s twice: findings %v, want one duplicateKey", key, findingKeys(vd))
			}
		})
	}
}
