package catalogue

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The validator's fast paths each have a general form they must agree
// with; these tests check them against it.

// allNodes returns every compiled node reachable from the default
// catalogue's variants.
func allNodes() []*node {
	s := Default().schemas()
	seen := map[*node]bool{}
	var out []*node
	var walk func(n *node)
	walk = func(n *node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		out = append(out, n)
		for i := range n.fields {
			walk(n.fields[i].node)
		}
		walk(n.items)
	}
	for _, v := range allVariants() {
		walk(s.message[v])
	}
	walk(s.anyMessage)
	return out
}

func TestSpecial8(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var b [8]byte
	check := func() {
		want := -1 // the first byte that is not plainByte
		for i, c := range b {
			if !plainByte[c] {
				want = i
				break
			}
		}
		m := special8(binary.LittleEndian.Uint64(b[:]))
		got := -1
		if m != 0 {
			got = 0
			for m&(0x80<<(8*got)) == 0 {
				got++
			}
		}
		if got != want {
			t.Fatalf("special8(%q): first special byte %d, want %d", b[:], got, want)
		}
	}
	// Every byte value at every position among plain bytes, and random
	// words mixing plain and special bytes (including runs of specials).
	for pos := range 8 {
		for c := range 256 {
			for i := range b {
				b[i] = 'a'
			}
			b[pos] = byte(c)
			check()
		}
	}
	special := []byte{0, 0x1f, '"', '\\', 0x80, 0xff, 0xc3, 0x20, 0x21, 0x7f, 0x5b, 0x5d, 0x23, 0x01}
	for range 200000 {
		for i := range b {
			if r.IntN(3) == 0 {
				b[i] = special[r.IntN(len(special))]
			} else {
				b[i] = byte(r.IntN(256))
			}
		}
		check()
	}
}

// TestFieldLookup checks the key fast path (fields' quoted names) and
// fieldIndex against the index map on every object node.
func TestFieldLookup(t *testing.T) {
	objects := 0
	for _, n := range allNodes() {
		if n.kind != KindObject {
			continue
		}
		objects++
		var keys []string
		for i := range n.fields {
			name := n.fields[i].name
			keys = append(keys, name, name+"x", strings.ToUpper(name), name[:len(name)-1], "")
		}
		keys = append(keys, "payload", "CommonBlock", "zz")
		for _, k := range keys {
			want, wantOK := n.index[k]
			if got, ok := n.fieldIndex([]byte(k)); got != want && wantOK || ok != wantOK {
				t.Errorf("%s: fieldIndex(%q) = %d %v, index has %d %v", n.name, k, got, ok, want, wantOK)
			}
			// The key written as a JSON string, in a body with and without
			// bytes after it: keyAt must find field i exactly when the key's
			// raw bytes are its name and index names it.
			for _, tail := range []string{`:1}`, ``, `:{"a":1,"b":2,"c":3,"d":4}`} {
				data := []byte(`"` + k + `"` + tail)
				for i := range n.fields {
					if got := n.fields[i].keyAt(data, 1); got != (wantOK && want == i) {
						t.Errorf("%s: field %q keyAt(%q) = %v", n.name, n.fields[i].name, data, got)
					}
				}
			}
		}
	}
	if objects < 50 {
		t.Fatalf("only %d object nodes", objects)
	}
}

// TestEnumLookup checks inEnum's packed search against a plain scan of
// the enum, on every enum node and on strings near its values.
func TestEnumLookup(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	enums := 0
	for _, n := range allNodes() {
		if n.enum == nil {
			continue
		}
		enums++
		var tries []string
		for _, e := range n.enum {
			tries = append(tries, e, e+"\x00", "\x00"+e, strings.ToLower(e), e+e)
			if e != "" {
				tries = append(tries, e[:len(e)-1], e[1:])
			}
		}
		for range 200 {
			const alphabet = "AEZ0139_-[]x\x00\xff"
			b := make([]byte, r.IntN(9))
			for i := range b {
				b[i] = alphabet[r.IntN(len(alphabet))]
			}
			tries = append(tries, string(b))
		}
		for _, s := range tries {
			if got, want := n.inEnum([]byte(s)), slices.Contains(n.enum, s); got != want {
				t.Errorf("%s: inEnum(%q) = %v, want %v", n.name, s, got, want)
			}
		}
	}
	if enums < 20 {
		t.Fatalf("only %d enum nodes", enums)
	}
}

// TestQuickStrings checks each node's quick check against reading the
// string and running the check it stands for: quickLen must report a
// length only for a plain string that passes, and must not miss a plain
// string that passes when it is a contract datetime or pattern value.
func TestQuickStrings(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	quick := 0
	for _, n := range allNodes() {
		if n.quick == quickNone {
			continue
		}
		quick++
		full := func(s []byte) bool {
			if n.quick == quickPattern {
				return n.pattern.match(s)
			}
			return validDateTime(s)
		}
		seeds := []string{"2025-10-26T00:30:00+00:00", "2024-02-29T23:59:59-14:00", "1.911", "-123456789.123", "1200023305967",
			"ABCD", "12", "0001", "1.000000", "12345678901234.12"}
		const alphabet = "0123456789-.:+T\"\\Aé "
		for range 20000 {
			b := []byte(seeds[r.IntN(len(seeds))])
			for range r.IntN(3) {
				if len(b) > 0 {
					b[r.IntN(len(b))] = alphabet[r.IntN(len(alphabet))]
				}
			}
			if r.IntN(4) == 0 && len(b) > 0 {
				b = b[:r.IntN(len(b))]
			}
			tail := []string{`"`, `","x":1}`, `x"`, ``, `\"`, `0"`}[r.IntN(6)]
			data := append([]byte(`"`), append(b, tail...)...)
			l := n.quickLen(data, 1)
			sc := scanner{data: data}
			raw, flags, err := sc.scanString()
			if l >= 0 {
				if err != nil || flags != 0 || len(raw) != l || !full(raw) {
					t.Fatalf("%s: quickLen(%q) = %d, but the string is %q (flags %d, %v), check %v", n.name, data, l, raw, flags, err, err == nil && full(raw))
				}
				continue
			}
			if err == nil && flags == 0 && full(raw) {
				t.Fatalf("%s: quickLen(%q) missed a passing string", n.name, data)
			}
		}
	}
	if quick < 10 {
		t.Fatalf("only %d nodes with a quick check", quick)
	}
}

// TestValidDateTimeAnyBytes checks validDateTime against time.Parse (with
// the oracle of TestValidDateTimeAgreesWithTime) when any position may hold
// any of a range of bytes, not only digits.
func TestValidDateTimeAnyBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	alphabet := "0123456789-+:T Z/\x00\xff9:\x2f\x3a"
	for range 300000 {
		b := []byte("2025-04-01T00:00:00+01:00")
		for range 1 + r.IntN(3) {
			b[r.IntN(len(b))] = alphabet[r.IntN(len(alphabet))]
		}
		s := string(b)
		_, err := time.Parse("2006-01-02T15:04:05-07:00", s)
		want := err == nil && (s[19] == '+' || s[19] == '-') && (s[20:22] < "14" || s[20:25] == "14:00") && s[23:25] < "60"
		if got := validDateTime(b); got != want {
			t.Fatalf("%q: validDateTime %v, time.Parse %v (%v)", s, got, want, err)
		}
	}
}

// TestPatternAlternatives checks the expansion of patterns with groups
// against regexp on strings built from the pattern's own pieces.
func TestPatternAlternatives(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, p := range []string{
		`^S-((IF|REP)-)?\d{3}[A-B]?-[0-9a-fA-F]{10}-[A-Z]{3,5}-\d{8}-[a-zA-Z0-9]+$`,
		`^(A|B|AB)+?$`, `^a(b|bc)c$`, `^x(y(z|zz)?)?z$`, `^(ab|a)(bc|c)$`, `^[0-9]+\.[0-9]*$`,
	} {
		m, err := compilePattern(p)
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(p)
		pieces := []string{"S-", "IF-", "REP-", "021", "1A", "-", "1200000001", "abcdef0123", "SDS", "LDSOX", "20251026",
			"x", "7f3a9c", "A", "B", "AB", "a", "b", "c", "bc", "y", "z", "zz", "0", ".", "9", "G", ""}
		for range 20000 {
			var b strings.Builder
			for range r.IntN(9) {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
			s := b.String()
			if got, want := m.match([]byte(s)), re.MatchString(s); got != want {
				t.Fatalf("%s on %q: matcher %v, regexp %v", p, s, got, want)
			}
		}
	}
}

// TestCapturedEnvelope checks the envelope values, captured into one
// string per message, against encoding/json's reading of the CommonBlock,
// on every variant's examples with their values as sent and escaped, and
// checks that a message does not see the previous one's captures.
func TestCapturedEnvelope(t *testing.T) {
	val := NewValidator(nil)
	escape := regexp.MustCompile(`":"([A-Za-z0-9_\[])`)
	for _, v := range allVariants() {
		for _, full := range []bool{true, false} {
			p := Default().Example(v, ExampleOptions{Full: full})
			want := envelopeOf(t, p)
			escaped := escape.ReplaceAllFunc(p, func(m []byte) []byte {
				return []byte(fmt.Sprintf(`":"\u%04x`, m[3]))
			})
			for _, payload := range [][]byte{p, escaped} {
				verdicts, err := val.ValidateArray("", wrapArray(payload))
				if err != nil {
					t.Fatalf("%s %s: %v", v.InterfaceID, v.EventCode, err)
				}
				if !verdicts[0].OK() {
					t.Fatalf("%s %s rejected: %v", v.InterfaceID, v.EventCode, verdicts[0].Findings)
				}
				got := verdicts[0].Envelope
				if string(got.Payload) != string(payload) {
					t.Errorf("%s %s: payload %s", v.InterfaceID, v.EventCode, got.Payload)
				}
				got.Payload = nil
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s %s envelope (-json +validator):\n%s", v.InterfaceID, v.EventCode, diff)
				}
			}
			two := []byte(`[{"payload":` + string(p) + `},{"payload":{}}]`)
			verdicts, err := val.ValidateArray("", two)
			if err != nil || len(verdicts) != 2 {
				t.Fatal(err, len(verdicts))
			}
			if diff := cmp.Diff(Envelope{Payload: []byte(`{}`)}, verdicts[1].Envelope); diff != "" {
				t.Errorf("second message's envelope:\n%s", diff)
			}
		}
	}
}

// envelopeOf reads an envelope from a payload with encoding/json.
func envelopeOf(t *testing.T, payload []byte) Envelope {
	t.Helper()
	var m struct {
		CommonBlock struct {
			S0 struct{ InterfaceID, SchemaVersion, EventCode string }
			S1 struct {
				EnvironmentTag                                                    string
				SubText, SenderCorrelationID, DIPConnectionProviderID             *string
				SenderUniqueReference, SenderTimestamp, SenderDIPID, SenderRoleID string
			}
			M0 *struct{ MPANCore, DistributorDIPID, GSPGroupID string }
			M1 *struct{ PrincipalMPAN, DistributorDIPID, GSPGroupID string }
			A0 json.RawMessage
			D0 json.RawMessage
			R0 *struct {
				ResponseCode     string
				ResponseMessages []*string
			}
		}
	}
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	cb := m.CommonBlock
	env := Envelope{InterfaceID: cb.S0.InterfaceID, SchemaVersion: cb.S0.SchemaVersion, EventCode: cb.S0.EventCode,
		EnvironmentTag: cb.S1.EnvironmentTag, SubText: cb.S1.SubText, SenderUniqueReference: cb.S1.SenderUniqueReference,
		SenderTimestamp: cb.S1.SenderTimestamp, SenderDIPID: cb.S1.SenderDIPID, SenderRoleID: cb.S1.SenderRoleID,
		SenderCorrelationID: cb.S1.SenderCorrelationID, DIPConnectionProviderID: cb.S1.DIPConnectionProviderID}
	if cb.M0 != nil && cb.M1 != nil {
		t.Fatal("example with both M0 and M1")
	}
	if cb.M0 != nil {
		env.MPAN, env.DistributorDIPID, env.GSPGroupID = cb.M0.MPANCore, cb.M0.DistributorDIPID, cb.M0.GSPGroupID
	}
	if cb.M1 != nil {
		env.MPAN, env.DistributorDIPID, env.GSPGroupID = cb.M1.PrincipalMPAN, cb.M1.DistributorDIPID, cb.M1.GSPGroupID
	}
	if cb.R0 != nil {
		env.HasR0, env.ResponseCode = true, cb.R0.ResponseCode
		for _, m := range cb.R0.ResponseMessages {
			if m != nil {
				env.ResponseMessages = append(env.ResponseMessages, *m)
			}
		}
	}
	if len(cb.A0) > 0 && cb.A0[0] == '{' {
		env.HasA0 = true
		var a0 struct{ PrimaryRecipients []string }
		if err := json.Unmarshal(cb.A0, &a0); err != nil {
			t.Fatal(err)
		}
		env.PrimaryRecipients = a0.PrimaryRecipients
	}
	if len(cb.D0) > 0 && cb.D0[0] == '{' {
		env.HasD0 = true
		var d0 struct{ TransactionID *string }
		if err := json.Unmarshal(cb.D0, &d0); err != nil {
			t.Fatal(err)
		}
		if d0.TransactionID != nil {
			env.TransactionID = *d0.TransactionID
		}
	}
	return env
}

// TestSplitDash checks splitDash against strings.Split.
func TestSplitDash(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for range 100000 {
		b := make([]byte, r.IntN(14))
		for i := range b {
			b[i] = "-aB1"[r.IntN(4)]
		}
		s := string(b)
		var buf [6]string
		got, ok := splitDash(s, &buf)
		want := strings.Split(s, "-")
		if ok != (len(want) <= len(buf)) || ok && !slices.Equal(got, want) {
			t.Fatalf("splitDash(%q) = %q %v, strings.Split %q", s, got, ok, want)
		}
	}
}
