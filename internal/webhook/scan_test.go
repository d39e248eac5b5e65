package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/catalogue/cataloguetest"
)

// idsOfReference is idsOf with encoding/json, as the Receiver read
// identifiers before scan.go: the reference that idsOf and scanArray agree
// with.
func idsOfReference(payload []byte) ids {
	var v ids
	_ = json.Unmarshal(payload, &v) // best effort: unknown values stay nil
	return v
}

// checkDecode fails t unless decoding body with the scanner agrees with
// encoding/json: scanArray's verdict, payloads and identifiers;
// decodeArray's error (message included) and messages; and idsOf of body
// taken as a payload.
func checkDecode(t *testing.T, body []byte) {
	t.Helper()
	want, wantErr := decodeArrayJSON(body)
	items, ok := scanArray(body)
	if ok != (wantErr == nil) {
		t.Fatalf("body %q: scanArray ok %v, encoding/json error %v", body, ok, wantErr)
	}
	if ok {
		if len(items) != len(want) {
			t.Fatalf("body %q: scanArray found %d items, encoding/json %d", body, len(items), len(want))
		}
		for i, it := range items {
			if got := body[it.start:it.end]; !bytes.Equal(got, want[i].Payload) {
				t.Fatalf("body %q: item %d: scanArray payload %q, encoding/json %q", body, i, got, want[i].Payload)
			}
			if ref := idsOfReference(want[i].Payload); !sameIDs(ref, it.ids) {
				t.Fatalf("body %q: item %d: identifiers (-encoding/json +scanArray):\n%s", body, i, cmp.Diff(ref, it.ids))
			}
		}
	}

	dv, err := decodeArray(body)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) {
		t.Fatalf("body %q: decodeArray error %v, encoding/json %v", body, err, wantErr)
	}
	if len(dv.msgs) != len(want) || (dv.msgs == nil) != (want == nil) {
		t.Fatalf("body %q: messages (-encoding/json +decodeArray):\n%s", body, cmp.Diff(want, dv.msgs))
	}
	for i, m := range dv.msgs {
		if !bytes.Equal(m.Payload, want[i].Payload) {
			t.Fatalf("body %q: item %d: decodeArray payload %q, encoding/json %q", body, i, m.Payload, want[i].Payload)
		}
		if ref, got := idsOfReference(m.Payload), dv.identifiers(i, m.Payload); !sameIDs(ref, got) {
			t.Fatalf("body %q: item %d: identifiers (-encoding/json +decodeArray):\n%s", body, i, cmp.Diff(ref, got))
		}
	}

	if ref, got := idsOfReference(body), idsOf(body); !sameIDs(ref, got) {
		t.Fatalf("payload %q: identifiers (-encoding/json +idsOf):\n%s", body, cmp.Diff(ref, got))
	}
}

// sameIDs reports whether a and b hold the same identifiers: each nil in
// both or set to the same string in both.
func sameIDs(a, b ids) bool {
	same := func(p, q *string) bool { return p == nil && q == nil || p != nil && q != nil && *p == *q }
	ac, bc := a.CommonBlock, b.CommonBlock
	return same(ac.S1.SenderUniqueReference, bc.S1.SenderUniqueReference) &&
		same(ac.S1.SenderCorrelationID, bc.S1.SenderCorrelationID) &&
		same(ac.D0.TransactionID, bc.D0.TransactionID) &&
		same(ac.D0.InitialCorrelationID, bc.D0.InitialCorrelationID)
}

// trickyBodies are deliveries and payloads at the edges of encoding/json's
// rules, as seeds for FuzzDecodeAgreesWithEncodingJSON and cases for
// TestDecodeAgreesWithEncodingJSON.
var trickyBodies = []string{
	// Not a non-empty array of objects with an object payload.
	``, ` `, `null`, `true`, `1`, `"x"`, `{}`, `{"payload":{}}`, `[]`, ` [ ] `, `[null]`, `[{}]`, `[1]`,
	`[{"payload":null}]`, `[{"payload":[]}]`, `[{"payload":"{}"}]`, `[{"payload":1}]`, `[{"payload":true}]`,
	`[{"payload":{}},null]`, `[{"payload":{}},1]`, `[{"payload":{}},[]]`, `[{"payload":{}},"x"]`,
	`[{"payload":{}},{"Payload":null}]`, `[{"payload":{}},{"other":{}}]`, `[[{"payload":{}}]]`,
	// White space everywhere, and only JSON's four white-space bytes.
	`[{"payload":{}}]`, " \t\r\n[ \t\r\n{ \t\r\n\"payload\" \t\r\n: \t\r\n{ \t\r\n} \t\r\n} \t\r\n, {\"payload\":{ \"a\" : [ 1 , 2 ] }} \t\r\n] \t\r\n",
	"[{\"payload\":{}}]\f", "[{\"payload\":{}}]\v", "\u00a0[{\"payload\":{}}]", "\ufeff[{\"payload\":{}}]",
	// Duplicate and case-variant payload keys: the last match wins.
	`[{"payload":{},"payload":1}]`, `[{"payload":1,"payload":{"x":2}}]`, `[{"Payload":{}}]`, `[{"PAYLOAD":{"a":1}}]`,
	`[{"pAyLoAd":{},"extra":[{"payload":1}]}]`, `[{"p\u0061yload":{}}]`, `[{"\u0070\u0041YLOAD":{}}]`,
	`[{"payload":{"CommonBlock":{"S1":{"senderUniqueReference":"a"}}},"PAYLOAD":{"CommonBlock":{"D0":{"transactionID":"b"}}}}]`,
	`[{"payload":{},"payload ":1}]`, "[{\"payload\xff\":{}}]", `[{"payloa":{}}]`, `[{"payloadd":{}}]`,
	// Numbers and literals, valid and not.
	`[{"payload":{"a":[0,-0,1e5,1E+5,-1.5e-3,0.0,123456789012345678901234567890,1e999,-0.0e-0]}}]`,
	`[{"payload":{"a":01}}]`, `[{"payload":{"a":-01}}]`, `[{"payload":{"a":1.}}]`, `[{"payload":{"a":.5}}]`,
	`[{"payload":{"a":+1}}]`, `[{"payload":{"a":-}}]`, `[{"payload":{"a":1e}}]`, `[{"payload":{"a":1e+}}]`,
	`[{"payload":{"a":0x1}}]`, `[{"payload":{"a":NaN}}]`, `[{"payload":{"a":Infinity}}]`, `[{"payload":{"a":1 2}}]`,
	`[{"payload":{"a":tru}}]`, `[{"payload":{"a":nulls}}]`, `[{"payload":{"a":truefalse}}]`, `[{"payload":{"a":True}}]`,
	`[{"payload":{"a":true,"b":false,"c":null}}]`,
	// Trailing data and misplaced punctuation.
	`[{"payload":{}}]x`, `[{"payload":{}}],`, `[{"payload":{}}]]`, `[{"payload":{}}] []`, `[{"payload":{}}`,
	`[{"payload":{}},]`, `[,{"payload":{}}]`, `[{"payload":{},}]`, `[{"payload"{}}]`, `[{payload:{}}]`,
	`[{'payload':{}}]`, `[{"payload":{}};{"payload":{}}]`, `[{"payload":{"a":[1,]}}]`, `[{"payload":{"a":[,1]}}]`,
	`[{"payload":{"a" "b"}}]`, `[{"payload":{"a":1 "b":2}}]`, `[{"payload":{"a":{}]}]`, `[{"payload":{"a":[}}]`,
	// Strings: escapes, control characters, invalid UTF-8.
	`[{"payload":{"a":"\"\\\/\b\f\n\r\t\u0000\u00e9\uD83D\uDE00"}}]`, `[{"payload":{"a":"\x"}}]`, `[{"payload":{"a":"\'"}}]`,
	`[{"payload":{"a":"\u12"}}]`, `[{"payload":{"a":"\u12g4"}}]`, `[{"payload":{"a":"\U0041"}}]`, `[{"payload":{"a":"\`,
	"[{\"payload\":{\"a\":\"\x01\"}}]", "[{\"payload\":{\"a\":\"\x1f\"}}]", "[{\"payload\":{\"a\":\"\x7f\xff\xfe\"}}]",
	"[{\"payload\":{\"a\":\"tab\there\"}}]", "[{\"payload\":{\"a\":\"0123456789abcdef\x00\"}}]", `[{"payload":{"a":"unterminated}}]`,
	// Identifiers: escapes and invalid UTF-8 decoded as encoding/json does.
	`{"CommonBlock":{"S1":{"senderUniqueReference":"caf\u00e9 \ud83d\ude00 \ud800 \udc00x \ud800\u0041 \ud800\ud800\udc00 \ud83d"}}}`,
	"{\"CommonBlock\":{\"S1\":{\"senderUniqueReference\":\"\xff\xfe \xed\xa0\x80 \xc3 \xe2\x82 \xf0\x9f\x98\x80 \xef\xbf\xbd caf\xc3\xa9\"}}}",
	`{"CommonBlock":{"D0":{"transactionID":"\\u0041 \/ \b\f\n\r\t \" \u0022 \uDBFF\uDFFF \uFFFD","initialCorrelationID":"\ud800\\"}}}`,
	`{"CommonBlock":{"D0":{"transactionID":"\ud800\u"}}}`,
	// Identifiers: key case, Unicode folding (Kelvin sign, long s), escaped keys.
	`{"commonblock":{"s1":{"SENDERUNIQUEREFERENCE":"a","SenderCorrelationId":"c"},"d0":{"TransactionId":"b","INITIALcorrelationid":"d"}}}`,
	`{"CommonBloc\u212a":{"\u017f1":{"\u017fenderUniqueReference":"a"},"D0":{"tran\u017factionID":"b"}}}`,
	"{\"CommonBloc\u212a\":{\"\u017f1\":{\"\u017fenderUniqueReference\":\"a\"},\"D0\":{\"tran\u017factionID\":\"b\"}}}",
	`{"\u0043ommonBlock":{"S\u0031":{"senderUniqueReference":"a"}}}`, `{"CommonBlock ":{"S1":{"senderUniqueReference":"a"}}}`,
	"{\"CommonBlock\xff\":{\"S1\":{\"senderUniqueReference\":\"a\"}}}", `{"CommonBlock":{"S1":{"senderUniqueReferenc\u00e9":"a"}}}`,
	`{"CommonBlock":{"S1":{"senderUniqueReference":"a"}},"CustomBlock":{"CommonBlock":{"S1":{"senderUniqueReference":"b"}}}}`,
	// Identifiers: duplicates merge into structs; null and mistyped values.
	`{"CommonBlock":{"S1":{"senderUniqueReference":"a"}},"CommonBlock":{"D0":{"transactionID":"b"}}}`,
	`{"CommonBlock":{"S1":{"senderUniqueReference":"a"}},"CommonBlock":null}`,
	`{"CommonBlock":{"S1":{"senderUniqueReference":"a"}},"CommonBlock":{"S1":null,"D0":[1]}}`,
	`{"CommonBlock":{"S1":{"senderUniqueReference":"a","senderUniqueReference":null}}}`,
	`{"CommonBlock":{"S1":{"senderUniqueReference":"a","senderUniqueReference":5}}}`,
	`{"CommonBlock":{"S1":{"senderUniqueReference":5,"senderCorrelationID":true},"D0":{"transactionID":{},"initialCorrelationID":[]}}}`,
	`{"CommonBlock":{"S1":{"senderUniqueReference":{"a":"b"}},"D0":{"transactionID":false,"initialCorrelationID":["x"]}}}`,
	`{"CommonBlock":{"S1":{"senderUniqueReference":null}}}`, `{"CommonBlock":{"S1":{"senderUniqueReference":""}}}`,
	`{"CommonBlock":"x"}`, `{"CommonBlock":1}`, `{"CommonBlock":[]}`, `{"CommonBlock":{"S1":"x","D0":true}}`,
	`{"CommonBlock":{"S1":{"senderUniqueReference":"a"}}} `, `{"CommonBlock":{"S1":{"senderUniqueReference":"a"}}}x`,
	`{"CommonBlock":{"S1":{"senderUniqueReference":"a"}},"x":01}`, `["CommonBlock"]`, ` null `,
	`[{"payload":{"CommonBlock":{"S1":{"senderUniqueReference":"a"}},"CommonBlock":{"S1":{"senderUniqueReference":7}}}},` +
		`{"payload":{"CommonBlock":{"S1":{"senderUniqueReference":"c"},"D0":{"transactionID":null}}}}]`,
}

func TestDecodeAgreesWithEncodingJSON(t *testing.T) {
	bodies := append([]string(nil), trickyBodies...)
	bodies = append(bodies,
		string(array(payload(1), payload(2))),
		string(if021Delivery(3)),
		// encoding/json's depth limit: 10000 open arrays and objects.
		`[{"payload":{"a":`+strings.Repeat("[", 9997)+strings.Repeat("]", 9997)+`}}]`,
		`[{"payload":{"a":`+strings.Repeat("[", 9998)+strings.Repeat("]", 9998)+`}}]`,
		`[{"payload":{"a":`+strings.Repeat(`{"":`, 9997)+"0"+strings.Repeat("}", 9997)+`}}]`,
		`[{"payload":{"a":`+strings.Repeat(`{"":`, 9998)+"0"+strings.Repeat("}", 9998)+`}}]`,
		strings.Repeat("[", 10000)+strings.Repeat("]", 10000),
		strings.Repeat("[", 10001)+strings.Repeat("]", 10001),
		`{"CommonBlock":{"S1":{"senderUniqueReference":"a","x":`+strings.Repeat("[", 9997)+strings.Repeat("]", 9997)+`}}}`,
		`{"CommonBlock":{"S1":{"senderUniqueReference":"a","x":`+strings.Repeat("[", 9998)+strings.Repeat("]", 9998)+`}}}`,
		// Strings long enough for the eight-byte loop, with the special
		// byte at every offset.
		`[{"payload":{"a":"`+strings.Repeat("0123456789abcdef", 4)+`"}}]`,
	)
	for k := range 24 {
		for _, c := range []string{`"`, `\\`, `\"`, `\u0041`, "\x00", "\x1f", "\x7f", "\xff", `\`, "\xe2\x82\xac"} {
			bodies = append(bodies, `[{"payload":{"a":"`+strings.Repeat("x", k)+c+strings.Repeat("y", 24-k)+`"}}]`)
		}
	}
	for _, b := range bodies {
		checkDecode(t, []byte(b))
	}
}

// TestDecodeAgreesOnGeneratedBodies runs checkDecode on random deliveries
// built from the keys and values where encoding/json's rules bite, on the
// paths where the Receiver reads them (item, payload, CommonBlock, S1 and
// D0); some hold a token that is not JSON or are corrupted by a byte. A
// byte-mutating fuzzer rarely reaches a Kelvin-sign key four levels down.
func TestDecodeAgreesOnGeneratedBodies(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	g := &bodyGen{rng: rand.New(rand.NewPCG(1, 2))}
	for range n {
		checkDecode(t, g.body())
	}
}

// bodyGen generates bodies for TestDecodeAgreesOnGeneratedBodies.
type bodyGen struct {
	rng *rand.Rand
	buf []byte
	bad bool // whether the body being generated may hold invalid tokens
}

// genKeys are the keys the generator uses at each level of a delivery:
// items, payloads, CommonBlock, S1 and D0; deeper levels use them all.
var genKeys = [][]string{
	{`payload`, `Payload`, `PAYLOAD`, `p\u0061yload`, `payloa`, `payload `, "payload\xff", `x`},
	{`CommonBlock`, `commonblock`, `COMMONBLOCK`, `CommonBloc\u212a`, "CommonBloc\u212a", `CommonBloc\u212A`, `\u0043ommonBlock`, `CustomBlock`, `x`},
	{`S1`, `s1`, `\u017f1`, "\u017f1", `D0`, `d0`, `D\u0030`, `S0`, `x`},
	{`senderUniqueReference`, `SENDERUNIQUEREFERENCE`, `\u017fenderUniqueReference`, `senderCorrelationID`, `SenderCorrelationId`,
		`transactionID`, "tran\u017factionID", `initialCorrelationID`, `initialcorrelationid`, `x`},
}

// genStrings are string values, as JSON text between the quotes.
var genStrings = []string{
	``, `a`, `T-1`, `caf\u00e9`, "caf\u00e9", `\ud83d\ude00`, `\ud800`, `\udc00`, `\ud800\u0041`, `\ud800\ud800\udc00`,
	`\ud83d`, "\xff\xfe", "\xed\xa0\x80", "\xc3", "\xf0\x9f\x98\x80", `\"\\\/\b\f\n\r\t`, `\u0000`,
	strings.Repeat("0123456789", 7), "\x7f",
}

// genScalars are other values.
var genScalars = []string{`0`, `-0`, `1e5`, `-1.5E-3`, `7`, `true`, `false`, `null`, `{}`, `[]`}

// genBad are tokens that are not JSON.
var genBad = []string{`01`, `1.`, `-`, `+1`, `nul`, `nulll`, `"\u00"`, "\"\x01\"", `"\x"`, `'a'`, "\f", `,`, `]`}

// body returns a delivery, invalid one time in four.
func (g *bodyGen) body() []byte {
	g.bad = g.rng.IntN(8) == 0
	g.buf = g.buf[:0]
	g.ws()
	g.buf = append(g.buf, '[')
	for k := range g.rng.IntN(3) + 1 {
		if k > 0 {
			g.buf = append(g.buf, ',')
		}
		g.ws()
		if g.rng.IntN(30) == 0 {
			g.scalar()
		} else {
			g.object(0)
		}
		g.ws()
	}
	g.buf = append(g.buf, ']')
	g.ws()
	if g.rng.IntN(8) == 0 {
		g.corrupt()
	}
	return bytes.Clone(g.buf)
}

// object appends an object whose keys are those of level.
func (g *bodyGen) object(level int) {
	g.buf = append(g.buf, '{')
	for k := range g.rng.IntN(3) + 1 {
		if k > 0 {
			g.buf = append(g.buf, ',')
		}
		g.ws()
		keys := genKeys[g.rng.IntN(len(genKeys))]
		if level < len(genKeys) {
			keys = genKeys[level]
		}
		g.buf = append(g.buf, '"')
		g.buf = append(g.buf, keys[g.rng.IntN(len(keys))]...)
		g.buf = append(g.buf, '"')
		g.ws()
		g.buf = append(g.buf, ':')
		g.ws()
		g.value(level + 1)
		g.ws()
	}
	g.buf = append(g.buf, '}')
}

// value appends a value at level: mostly objects above the identifiers,
// mostly strings at their level.
func (g *bodyGen) value(level int) {
	switch r := g.rng.IntN(10); {
	case level < len(genKeys) && r < 8, level < 6 && r == 8:
		g.object(level)
	case level == len(genKeys) && r < 8:
		g.str()
	case r == 9 && level < 6:
		g.buf = append(g.buf, '[')
		for k := range g.rng.IntN(3) {
			if k > 0 {
				g.buf = append(g.buf, ',')
			}
			g.value(level + 1)
		}
		g.buf = append(g.buf, ']')
	default:
		g.scalar()
	}
}

func (g *bodyGen) str() {
	g.buf = append(g.buf, '"')
	g.buf = append(g.buf, genStrings[g.rng.IntN(len(genStrings))]...)
	g.buf = append(g.buf, '"')
}

func (g *bodyGen) scalar() {
	switch {
	case g.bad && g.rng.IntN(4) == 0:
		g.buf = append(g.buf, genBad[g.rng.IntN(len(genBad))]...)
	case g.rng.IntN(3) == 0:
		g.str()
	default:
		g.buf = append(g.buf, genScalars[g.rng.IntN(len(genScalars))]...)
	}
}

// ws appends nothing, mostly, or some white space.
func (g *bodyGen) ws() {
	if g.rng.IntN(4) == 0 {
		g.buf = append(g.buf, [...]string{" ", "\t", "\r\n", "  "}[g.rng.IntN(4)]...)
	}
}

// corrupt deletes, replaces or inserts a byte.
func (g *bodyGen) corrupt() {
	const bytes = `{}[],:"\ 0e-.nxu`
	i, c := g.rng.IntN(len(g.buf)), bytes[g.rng.IntN(len(bytes))]
	switch g.rng.IntN(3) {
	case 0:
		g.buf = append(g.buf[:i], g.buf[i+1:]...)
	case 1:
		g.buf[i] = c
	default:
		g.buf = append(g.buf[:i], append([]byte{c}, g.buf[i:]...)...)
	}
}

// FuzzDecodeAgreesWithEncodingJSON checks that the Receiver's scanner
// decodes arbitrary bodies as encoding/json does (see checkDecode): the same
// verdict, the same payload bytes and the same identifiers, for each body
// both as a delivery and as a payload.
func FuzzDecodeAgreesWithEncodingJSON(f *testing.F) {
	f.Add(array(payload(1), payload(2)))
	f.Add(array(payload(1), `{"CommonBlock":{"S1":{"senderUniqueReference":"é\u00e9"},"D0":null}}`, `{"x":[1,{"y":null}]}`))
	f.Add([]byte(payload(7)))
	for _, b := range trickyBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecode(t, body)
	})
}

// TestReceiverIdentifiersOfChangedPayloads checks that the response echoes
// the identifiers of the payloads messages hold when Handle returns, as
// when the Receiver decoded them again after Handle: a payload replaced,
// one changed in place, one appended to (which must not reach the next
// payload), one left as it was.
func TestReceiverIdentifiersOfChangedPayloads(t *testing.T) {
	dip := newSigner(t, "dip")
	handle := func(_ context.Context, msgs []catalogue.Message) []catalogue.Code {
		msgs[0].Payload = []byte(payload(10))
		copy(msgs[1].Payload[bytes.Index(msgs[1].Payload, []byte(`27-2"`)):], `27-9"`) // S1's reference
		msgs[2].Payload = append(msgs[2].Payload, ' ')
		return nil
	}
	ts := serve(t, newReceiver(dip, handle))
	got, err := (&Poster{Signer: dip}).Post(t.Context(), ts.URL, array(payload(1), payload(2), payload(3), payload(4)))
	if err != nil {
		t.Fatal(err)
	}
	if got.StatusCode != http.StatusCreated {
		t.Fatalf("status %d, body %s", got.StatusCode, got.Body)
	}
	second := itemFor(2, catalogue.MSG0000)
	second.SenderUniqueReference = new("S-IF-033-2200000001-REGS-20250627-9")
	want := []catalogue.StandardResponseBodyType{
		itemFor(10, catalogue.MSG0000), second, itemFor(3, catalogue.MSG0000), itemFor(4, catalogue.MSG0000),
	}
	if diff := cmp.Diff(want, *decodeResponse(t, got.Body).MessageArray); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
}

// if021Delivery returns a DIPMessageEgressArray of n IF-021 [ActivePower]
// messages like bench.IF021Message's (cataloguetest.IF021): one MPAN, one
// UTC settlement day of 48 half-hour periods, spaced as Python's json.dumps
// writes JSON, about 5 KB each.
func if021Delivery(n int) []byte {
	body := []byte("[")
	for i := range n {
		if i > 0 {
			body = append(body, ", "...)
		}
		m := cataloguetest.IF021("1200000001", "2500000012",
			fmt.Sprintf("S-IF-021-1200000001-SDS-20260116-%016x", i), fmt.Sprintf("12%010d7", i))
		p, err := catalogue.Encode(m)
		if err != nil {
			panic("encoding the IF-021 benchmark message: " + err.Error())
		}
		body = append(body, `{"payload": `...)
		body = append(body, cataloguetest.PythonSpacing(p)...)
		body = append(body, '}')
	}
	return append(body, ']')
}

// BenchmarkReceiverDecode measures the Receiver's decoding of a delivery of
// 50 IF-021 messages of about 5 KB: the array, then each payload's
// identifiers, with encoding/json (the reference) and with the scanner.
func BenchmarkReceiverDecode(b *testing.B) {
	body := if021Delivery(50)
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			msgs, err := decodeArrayJSON(body)
			if err != nil {
				b.Fatal(err)
			}
			for _, m := range msgs {
				if idsOfReference(m.Payload).CommonBlock.S1.SenderUniqueReference == nil {
					b.Fatal("no senderUniqueReference")
				}
			}
		}
	})
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			dv, err := decodeArray(body)
			if err != nil {
				b.Fatal(err)
			}
			for i, m := range dv.msgs {
				if dv.identifiers(i, m.Payload).CommonBlock.S1.SenderUniqueReference == nil {
					b.Fatal("no senderUniqueReference")
				}
			}
		}
	})
}
