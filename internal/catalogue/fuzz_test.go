package catalogue

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/mhhs/mhhs/internal/market"
)

func addExampleSeeds(f *testing.F, wrap bool) {
	c := Default()
	for i, v := range allVariants() {
		if i%7 != 0 && v.InterfaceID != "IF-021" {
			continue
		}
		p := c.Example(v, ExampleOptions{Full: i%2 == 0})
		if wrap {
			p = wrapArray(p)
		}
		f.Add(p)
	}
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"payload":{"CommonBlock":{"S0":{"interfaceID":"IF-021","eventCode":"[ActivePower]"}}}}]`))
	f.Add([]byte(`[{"payload":"\ud83d\ude00\u0000"}]`))
}

// FuzzValidateArray feeds arbitrary bodies to the validator. It must not
// panic; it must call a body malformed exactly when encoding/json does,
// except that it also rejects invalid UTF-8 inside strings (RFC 8259; Go's
// json.Valid lets it through) and nesting deeper than it accepts; and every
// message it accepts
// must decode into its typed struct and encode back to the same JSON value.
func FuzzValidateArray(f *testing.F) {
	addExampleSeeds(f, true)
	c := Default()
	val := NewValidator(c)
	f.Fuzz(func(t *testing.T, body []byte) {
		verdicts, err := val.ValidateArray("", body)
		var se *SyntaxError
		if err != nil && !errors.As(err, &se) {
			t.Fatalf("error is not a SyntaxError: %v", err)
		}
		valid := json.Valid(body) && utf8.Valid(body)
		if err != nil && valid && !strings.Contains(se.Msg, "nesting too deep") {
			t.Fatalf("valid JSON called malformed: %v\n%q", err, body)
		}
		if err == nil && !valid {
			t.Fatalf("malformed JSON accepted as JSON: %q", body)
		}
		for _, v := range verdicts {
			if !v.OK() {
				continue
			}
			p, err := c.Decode(v.Envelope.Payload)
			if err != nil {
				t.Fatalf("accepted payload does not decode: %v\n%s", err, v.Envelope.Payload)
			}
			out, err := Encode(p)
			if err != nil {
				t.Fatal(err)
			}
			var a, b any
			json.Unmarshal(v.Envelope.Payload, &a)
			json.Unmarshal(out, &b)
			if diff := cmp.Diff(canonical(a, ""), b); diff != "" {
				t.Fatalf("accepted payload changes in a round trip:\n%s", diff)
			}
		}
	})
}

var kwhForm = regexp.MustCompile(`^-?\d{1,9}\.\d{3}$`)

// canonical rewrites a decoded JSON value as the typed structs encode it:
// energy values in canonical kWh ("007.000" is "7.000", "-0.000" is
// "0.000"), UTC written "+00:00" (never "-00:00"), and no null items in A0's
// recipient lists, which decoding drops as they name nobody. Everything else
// must survive a round trip unchanged.
func canonical(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = canonical(e, k)
		}
	case []any:
		var out []any
		for _, e := range x {
			if e == nil && (key == "primaryRecipients" || key == "secondaryRecipients" || key == "always") {
				continue
			}
			out = append(out, canonical(e, key))
		}
		if out == nil {
			out = []any{}
		}
		return out
	case string:
		if kwhForm.MatchString(x) {
			if e, err := market.ParseKWh(x); err == nil {
				return e.KWh()
			}
		}
		if len(x) == 25 && strings.HasSuffix(x, "-00:00") {
			if _, err := market.ParseDateTime(x); err == nil {
				return x[:19] + "+00:00"
			}
		}
	}
	return v
}

// FuzzDecode feeds arbitrary payloads to the validator and the typed
// decoder: no panic; Decode accepts exactly what the validator accepts; and
// whatever it accepts re-encodes to bytes the validator accepts
// (EncodeValid finds nothing).
func FuzzDecode(f *testing.F) {
	addExampleSeeds(f, false)
	c := Default()
	val := NewValidator(c)
	f.Fuzz(func(t *testing.T, payload []byte) {
		verdict, verr := val.ValidatePayload("", payload)
		accepted := verr == nil && verdict.OK()
		p, derr := c.Decode(payload)
		if accepted != (derr == nil) {
			t.Fatalf("validator accepted=%v but Decode error = %v\n%s", accepted, derr, payload)
		}
		if !accepted {
			return
		}
		if verdict.Envelope.InterfaceID != verdict.Variant.InterfaceID {
			t.Fatalf("envelope names %s, variant %s", verdict.Envelope.InterfaceID, verdict.Variant.InterfaceID)
		}
		out, findings, err := EncodeValid(p)
		if err != nil || len(findings) > 0 {
			t.Fatalf("decoded payload re-encodes invalid: %v %v\n%s\n%s", err, findings, payload, out)
		}
	})
}

func contractPatterns() []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range dataTypeTable {
		if d.Pattern != "" && !seen[d.Pattern] {
			seen[d.Pattern] = true
			out = append(out, d.Pattern)
		}
	}
	return out
}

// FuzzPatternMatcher checks the fast matcher against regexp on every
// contract pattern.
func FuzzPatternMatcher(f *testing.F) {
	for _, s := range []string{"1200023305967", "-123456789.123", "12.34", "S-IF-021-1000000001-SDS-20250401-1", "ABCD", "0001", "", "1.000000000"} {
		f.Add(s)
	}
	type pair struct {
		fast *matcher
		re   *regexp.Regexp
	}
	var pairs []pair
	for _, p := range contractPatterns() {
		m, err := compilePattern(p)
		if err != nil {
			f.Fatal(err)
		}
		pairs = append(pairs, pair{m, regexp.MustCompile(p)})
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range pairs {
			if got, want := p.fast.match([]byte(s)), p.re.MatchString(s); got != want {
				t.Fatalf("pattern %s on %q: matcher %v, regexp %v", p.re, s, got, want)
			}
		}
	})
}

func TestPatternsCompileToFastMatchers(t *testing.T) {
	for _, p := range contractPatterns() {
		m, _ := compilePattern(p)
		if m.re != nil {
			t.Errorf("regexp fallback: %s", p)
		}
		if m.atoms == nil && m.alts == nil {
			t.Errorf("no atoms for %s", p)
		}
	}
}

func TestMPANCheckAgreesWithMarket(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		b := make([]byte, 13)
		for j := range b {
			b[j] = byte('0' + r.IntN(10))
		}
		if got, want := mpanCheckDigitOK(b), market.ValidMPAN(string(b)); got != want {
			t.Fatalf("%s: catalogue %v, market %v", b, got, want)
		}
	}
}

func TestIntegral(t *testing.T) {
	for lit, want := range map[string]bool{
		"0": true, "-0": true, "1": true, "1.0": true, "1.5": false, "1.5e1": true, "15e-1": false,
		"100e-2": true, "150e-2": false, "0.0e-5": true, "1e400": true, "1e-400": false, "-3.000": true, "2.05e1": false,
	} {
		if got := integral([]byte(lit)); got != want {
			t.Errorf("integral(%s) = %v, want %v", lit, got, want)
		}
	}
}

func TestCodesDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "codes.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Codes() {
		if !strings.Contains(string(doc), "| "+string(c)+" | "+c.Text()+" |") {
			t.Errorf("docs/codes.md lacks the row for %s - %s", c, c.Text())
		}
	}
}

// TestValidDateTimeAgreesWithTime checks the hand-written datetime check
// against time.Parse on random and edge inputs. It is stricter in two ways,
// both stated in the oracle: the offset may not pass ±14:00, and offset
// minutes must be below 60 (time.Parse takes "+07:60").
func TestValidDateTimeAgreesWithTime(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	check := func(s string) {
		_, err := time.Parse("2006-01-02T15:04:05-07:00", s)
		want := err == nil && len(s) == 25 && (s[19] == '+' || s[19] == '-') && (s[20:22] < "14" || s[20:25] == "14:00") && s[23:25] < "60"
		if got := validDateTime([]byte(s)); got != want {
			t.Fatalf("%q: validDateTime %v, time.Parse %v (%v)", s, got, want, err)
		}
	}
	for _, s := range []string{"2025-04-01T00:00:00+01:00", "2024-02-29T23:59:59-14:00", "2023-02-29T00:00:00+00:00",
		"2025-13-01T00:00:00+00:00", "2025-04-31T00:00:00+00:00", "2025-04-01T24:00:00+00:00", "2025-04-01T00:60:00+00:00",
		"2025-04-01T00:00:60+00:00", "2025-04-01T00:00:00+14:01", "2025-04-01T00:00:00+15:00", "2025-04-01T00:00:00Z0000",
		"1900-02-29T00:00:00+00:00", "2000-02-29T00:00:00+00:00", "0000-01-01T00:00:00+00:00", "2025-04-01T00:00:00+00:99"} {
		check(s)
	}
	digits := []byte("0123456789")
	for i := 0; i < 200000; i++ {
		b := []byte("2025-04-01T00:00:00+01:00")
		for _, pos := range []int{2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 23, 24} {
			if r.IntN(3) == 0 {
				b[pos] = digits[r.IntN(10)]
			}
		}
		check(string(b))
	}
}
