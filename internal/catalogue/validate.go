package catalogue

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Finding is one way a message breaks the contract: where (a JSON path such
// as "[0].payload.CustomBlock.B900.settlementDayConsumptionPeriods[2].consumptionPeriods[0].v"),
// the rule broken, the DIP message code and the level (1 schema, 2 stateless
// business checks).
type Finding struct {
	Path   string `json:"path"`
	Rule   Rule   `json:"rule"`
	Code   Code   `json:"code"`
	Level  int    `json:"level"`
	Detail string `json:"detail"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%s: %s (%s, L%d): %s", f.Path, f.Rule, f.Code, f.Level, f.Detail)
}

// Verdict is the outcome of validating one message of an array.
type Verdict struct {
	Index    int
	Variant  *Variant // nil when no variant could be chosen
	Envelope Envelope
	Findings []Finding
}

// OK reports whether the message passed L1 and L2.
func (v *Verdict) OK() bool { return len(v.Findings) == 0 }

// Code returns the code of the first finding, or MSG0000.
func (v *Verdict) Code() Code {
	if len(v.Findings) == 0 {
		return MSG0000
	}
	return v.Findings[0].Code
}

// Envelope is the routing view of one message: the CommonBlock values the DIP
// and every service read without decoding the CustomBlock, and the payload's
// bytes exactly as received. Strings are "" (and pointers nil) where the
// message lacks the value or holds null.
type Envelope struct {
	InterfaceID, SchemaVersion, EventCode string

	EnvironmentTag          string
	SubText                 *string
	SenderUniqueReference   string
	SenderTimestamp         string
	SenderDIPID             string
	SenderRoleID            string
	SenderCorrelationID     *string
	DIPConnectionProviderID *string

	MPAN             string // M0.MPANCore or M1.principalMPAN
	DistributorDIPID string
	GSPGroupID       string

	HasA0             bool
	PrimaryRecipients []string
	// HasR0 reports an R0 block (a response); ResponseCode is its
	// responseCode (A accepted, R rejected, …) and ResponseMessages its
	// non-null messages.
	HasR0            bool
	ResponseCode     string
	ResponseMessages []string
	HasD0            bool
	TransactionID    string

	// Payload is the payload object's bytes, a sub-slice of the validated body.
	Payload []byte
}

// ErrSyntax is returned (wrapped) when the body is not well-formed JSON.
var ErrSyntax = errors.New("catalogue: invalid JSON")

// SyntaxError locates a JSON syntax failure in a body.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

// Unwrap returns ErrSyntax.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// MaxFindings bounds the findings recorded per message; validation still
// reads the rest of the message.
const MaxFindings = 100

// Validator checks DIP message arrays against the catalogue in one streaming
// pass over the bytes, without building a tree. A Validator is cheap; it is
// not safe for concurrent use (each goroutine takes its own), but the compiled
// schemas it reads are shared.
type Validator struct {
	c     *Catalogue
	s     *schemas
	data  []byte // the bytes being validated, which path keys point into
	path  []pathSeg
	buf   []byte // unescape scratch
	v     *Verdict
	fixed *Variant // set by ValidateArrayFor

	// The message's captured strings, kept until the message ends: their
	// bytes back to back, and the slot each fills (see finishCaptures).
	capBytes []byte
	caps     []capSpan
}

// pathSeg is one step of the path to the value being validated: an array
// index, or an object key held as the offset of its opening quote in
// v.data. The key is read again only when a finding needs the path, and a
// step holds no pointer, so that pushing one, once per key, is cheap.
type pathSeg struct {
	key int // offset of the key's '"', or segIndex, or segPayload
	idx int
}

const (
	segIndex   = -1 // the step is the array index idx
	segPayload = -2 // the key "payload" above a payload validated alone
)

// capSpan is one captured string: it fills slot and ends at end in
// capBytes, where the previous one (or capBytes) starts it.
type capSpan struct {
	slot slot
	end  int
}

// NewValidator returns a validator for catalogue c (Default() when nil).
func NewValidator(c *Catalogue) *Validator {
	if c == nil {
		c = Default()
	}
	return &Validator{c: c, s: c.schemas()}
}

// ValidateArray validates a DIP message array (the body of
// POST /dip-channel/{id}). channel is the interface posted to ("IF-021"), or
// "" to accept any interface. It returns one verdict per message. A body that
// is not well-formed JSON returns a *SyntaxError; a body that is JSON but not
// a non-empty array returns a single verdict with index -1.
func (v *Validator) ValidateArray(channel string, body []byte) ([]Verdict, error) {
	v.data = body
	defer func() { v.data = nil }()
	sc := scanner{data: body}
	sc.ws()
	if sc.i >= len(sc.data) {
		return nil, &SyntaxError{Offset: sc.i, Msg: "empty body"}
	}
	if sc.data[sc.i] != '[' {
		if err := sc.skipValue(); err != nil {
			return nil, err
		}
		if err := sc.end(); err != nil {
			return nil, err
		}
		return []Verdict{{Index: -1, Findings: []Finding{{Path: "", Rule: RuleType, Code: MSG1001, Level: 1,
			Detail: "a DIP message array must be a JSON array of {\"payload\": …} objects"}}}}, nil
	}
	sc.i++
	var out []Verdict
	sc.ws()
	if sc.peek() == ']' {
		sc.i++
		if err := sc.end(); err != nil {
			return nil, err
		}
		return []Verdict{{Index: -1, Findings: []Finding{{Path: "", Rule: RuleMinItems, Code: MSG1001, Level: 1,
			Detail: "a DIP message array needs at least 1 message"}}}}, nil
	}
	for idx := 0; ; idx++ {
		sc.ws()
		out = append(out, Verdict{Index: idx})
		if err := v.message(&sc, channel, &out[idx]); err != nil {
			return nil, err
		}
		sc.ws()
		switch sc.peek() {
		case ',':
			sc.i++
		case ']':
			sc.i++
			if err := sc.end(); err != nil {
				return nil, err
			}
			return out, nil
		default:
			return nil, sc.fail("expected , or ] in array")
		}
	}
}

// ValidateArrayFor validates a message array against one given variant, as
// the DIP's POST /validate/{IF}/{event} does: the message's own S0 does not
// choose the schema, and S0 values that disagree with the variant are
// reported as enum failures.
func (v *Validator) ValidateArrayFor(variant *Variant, body []byte) ([]Verdict, error) {
	v.fixed = variant
	defer func() { v.fixed = nil }()
	return v.ValidateArray(variant.InterfaceID, body)
}

// ValidatePayload validates one payload object (the value of "payload").
func (v *Validator) ValidatePayload(channel string, payload []byte) (Verdict, error) {
	sc := scanner{data: payload}
	sc.ws()
	verdict := Verdict{Index: 0}
	v.v = &verdict
	v.data = payload
	v.path = v.path[:0]
	v.path = append(v.path, pathSeg{key: segPayload, idx: -1})
	v.resetCaptures()
	defer func() { v.v, v.data = nil, nil }()
	start := sc.i
	node, ok := v.choose(&sc, channel, true)
	if !ok {
		if err := sc.skipValue(); err != nil {
			return Verdict{}, err
		}
	} else if err := v.value(&sc, node, false); err != nil {
		return Verdict{}, err
	}
	v.finishCaptures(&verdict.Envelope)
	verdict.Envelope.Payload = sc.data[start:sc.i]
	if err := sc.end(); err != nil {
		return Verdict{}, err
	}
	v.messageChecks(&verdict)
	return verdict, nil
}

// message validates the message at sc into verdict, which holds its index.
func (v *Validator) message(sc *scanner, channel string, verdict *Verdict) error {
	v.v = verdict
	defer func() { v.v = nil }()
	v.path = append(v.path[:0], pathSeg{key: segIndex, idx: verdict.Index})
	v.resetCaptures()
	if sc.peek() != '{' {
		v.finding(RuleType, MSG1001, 1, "a message must be an object {\"payload\": …}")
		return sc.skipValue()
	}
	// Find the variant from payload.CommonBlock.S0 before validating.
	_, chosen := v.choose(sc, channel, false)
	msgNode := v.s.anyMessage
	if chosen {
		msgNode = v.s.message[verdict.Variant]
	}
	if err := v.value(sc, msgNode, false); err != nil {
		return err
	}
	v.finishCaptures(&verdict.Envelope)
	v.messageChecks(verdict)
	return nil
}

// choose picks the variant of the message (or bare payload) at sc's position
// from S0.interfaceID and S0.eventCode, falling back to the channel when the
// interface is missing and to the interface's only variant when the event is.
// When it cannot choose it records the finding the schema would give (the
// missing CommonBlock, S0 or key, or the value outside the enum).
func (v *Validator) choose(sc *scanner, channel string, bare bool) (*node, bool) {
	if v.fixed != nil {
		v.v.Variant = v.fixed
		return v.s.variants[v.fixed], true
	}
	probe := scanner{data: sc.data, i: sc.i}
	path := []string{"payload", "CommonBlock", "S0"}
	if bare {
		path = path[1:]
	}
	p := probe.findS0(path)
	// base is the path of the message, or of the payload when bare; it is
	// built only for a finding.
	base := func() string {
		if bare {
			return "payload"
		}
		return v.pathString()
	}
	// objPath is the path of the object at depth d (0: the message, or the
	// payload when bare).
	objPath := func(d int) string {
		s := base()
		for _, k := range path[:d] {
			s += "." + k
		}
		return s
	}
	missing := func(key string) {
		switch {
		case p.reached < 0:
			v.findingAt(base(), RuleType, MSG1001, 1, "payload must be an object")
		case p.notObject:
			v.findingAt(objPath(p.reached+1), RuleType, MSG1001, 1, fmt.Sprintf("%s must be an object", path[p.reached]))
		case p.reached < len(path):
			v.findingAt(objPath(p.reached), RuleRequired, MSG1001, 1, fmt.Sprintf("missing required key %q", path[p.reached]))
		default:
			v.findingAt(objPath(len(path)), RuleRequired, MSG1001, 1, fmt.Sprintf("missing required key %q in S0", key))
		}
	}
	in, ok := v.c.interfaces[string(p.iid)]
	if !ok && channel != "" {
		in, ok = v.c.interfaces[channel]
	}
	if !ok {
		if len(p.iid) == 0 {
			missing("interfaceID")
		} else {
			v.findingAt(objPath(len(path))+".interfaceID", RuleEnum, MSG1001, 1, fmt.Sprintf("S0.interfaceID %q names no interface of the catalogue", string(p.iid)))
		}
		return nil, false
	}
	var variant *Variant
	for _, vv := range in.Variants {
		if vv.EventCode == string(p.event) {
			variant = vv
		}
	}
	if variant == nil && len(in.Variants) == 1 {
		variant = in.Variants[0]
	}
	if variant == nil {
		if len(p.event) == 0 {
			missing("eventCode")
		} else {
			v.findingAt(objPath(len(path))+".eventCode", RuleEnum, MSG1001, 1, fmt.Sprintf("S0.eventCode %q is not an event of %s", string(p.event), in.ID))
		}
		return nil, false
	}
	if channel != "" && len(p.iid) != 0 && string(p.iid) != channel && v.c.interfaces[string(p.iid)] != nil {
		v.findingAt(objPath(len(path))+".interfaceID", RuleChannel, MSG1003, 1,
			fmt.Sprintf("message for %s sent to channel %s", string(p.iid), channel))
	}
	v.v.Variant = variant
	return v.s.variants[variant], true
}

// value validates the JSON value at sc against n. nullable says whether null
// is allowed in this position.
func (v *Validator) value(sc *scanner, n *node, nullable bool) error {
	c := sc.skipWS()
	if sc.i >= len(sc.data) {
		return sc.fail("unexpected end of input")
	}
	if c == 'n' {
		if err := sc.literal("null"); err != nil {
			return err
		}
		if !nullable && n.kind != 0 && !n.looseObject {
			v.finding(RuleNullable, MSG1001, 1, fmt.Sprintf("%s may not be null", n.name))
		}
		return nil
	}
	switch n.kind {
	case 0:
		return sc.skipValue()
	case KindObject:
		if c != '{' {
			if !n.looseObject {
				v.typeFinding(n, c)
			}
			return sc.skipValue()
		}
		return v.object(sc, n)
	case KindArray:
		if c != '[' {
			v.typeFinding(n, c)
			return sc.skipValue()
		}
		return v.array(sc, n)
	case KindString:
		if c != '"' {
			v.typeFinding(n, c)
			return sc.skipValue()
		}
		return v.str(sc, n, slotNone)
	case KindInteger, KindNumber:
		if c != '-' && (c < '0' || c > '9') {
			v.typeFinding(n, c)
			return sc.skipValue()
		}
		return v.number(sc, n)
	case KindBoolean:
		switch c {
		case 't':
			return sc.literal("true")
		case 'f':
			return sc.literal("false")
		}
		v.typeFinding(n, c)
		return sc.skipValue()
	}
	return sc.skipValue()
}

func (v *Validator) typeFinding(n *node, first byte) {
	v.finding(RuleType, MSG1001, 1, fmt.Sprintf("expected %s (%s), got %s", n.kind, n.name, jsonKind(first)))
}

func jsonKind(c byte) string {
	switch {
	case c == '{':
		return "object"
	case c == '[':
		return "array"
	case c == '"':
		return "string"
	case c == 't' || c == 'f':
		return "boolean"
	case c == 'n':
		return "null"
	}
	return "number"
}

func (v *Validator) object(sc *scanner, n *node) error {
	sc.i++ // {
	var seen uint64
	// next is the field expected next: encoders write keys in schema order,
	// so the key is usually that field's name, which a comparison of the
	// bytes after the opening quote with the quoted name recognises without
	// reading the key as a string or looking it up.
	next := 0
	// The path step of the key at hand, set for each key before any finding
	// can read it, and dropped before the object's own findings.
	depth := len(v.path)
	v.path = append(v.path, pathSeg{})
	if sc.skipWS() == '}' {
		sc.i++
	} else {
		for {
			if sc.skipWS() != '"' {
				return sc.fail("expected object key")
			}
			keyAt := sc.i
			var key []byte // the raw key, for findings; nil after the fast path
			fi, known := -1, false
			if f := n.field(next); f != nil && f.keyAt(sc.data, keyAt+1) {
				fi, known = next, true
				sc.i = keyAt + 1 + len(f.quoted)
			} else {
				raw, escaped, err := sc.rawString()
				if err != nil {
					return err
				}
				key = raw
				if escaped {
					v.buf = unescape(v.buf[:0], raw)
					raw = v.buf
				}
				fi, known = n.fieldIndex(raw)
			}
			if known {
				next = fi + 1
			}
			if sc.skipWS() != ':' {
				return sc.fail("expected : after object key")
			}
			sc.i++
			v.path[depth] = pathSeg{key: keyAt}
			var err error
			switch {
			case !known:
				if !n.additional {
					v.finding(RuleAdditional, MSG1001, 1, fmt.Sprintf("unknown key %q in %s", key, n.name))
				}
				err = sc.skipValue()
			case seen&(1<<(fi&63)) != 0: // &63: objects have at most 64 fields
				if key == nil { // the fast path read the field's name
					key = sc.data[keyAt+1 : keyAt+len(n.fields[fi].quoted)]
				}
				v.finding(RuleDuplicateKey, MSG1001, 1, fmt.Sprintf("key %q appears twice", key))
				err = sc.skipValue()
			default:
				seen |= 1 << (fi & 63)
				f := &n.fields[fi]
				if f.capture != slotNone {
					err = v.capture(sc, f)
				} else {
					err = v.value(sc, f.node, f.nullable)
				}
			}
			if err != nil {
				return err
			}
			switch sc.skipWS() {
			case ',':
				sc.i++
				continue
			case '}':
				sc.i++
			default:
				return sc.fail("expected , or } in object")
			}
			break
		}
	}
	v.path = v.path[:depth]
	if missing := n.requiredMask &^ seen; missing != 0 {
		for i := range n.fields {
			if missing&(1<<i) != 0 {
				v.finding(RuleRequired, MSG1001, 1, fmt.Sprintf("missing required key %q in %s", n.fields[i].name, n.name))
			}
		}
	}
	return nil
}

// capture validates a field whose value fills the Envelope.
func (v *Validator) capture(sc *scanner, f *nodeField) error {
	env := &v.v.Envelope
	c := sc.skipWS()
	switch f.capture {
	case slotA0:
		env.HasA0 = c == '{'
		return v.value(sc, f.node, f.nullable)
	case slotD0:
		env.HasD0 = c == '{'
		return v.value(sc, f.node, f.nullable)
	case slotPayload:
		start := sc.i
		err := v.value(sc, f.node, f.nullable)
		env.Payload = sc.data[start:sc.i]
		return err
	case slotPrimaryRecipients, slotResponseMessages:
		start := sc.i
		if err := v.value(sc, f.node, f.nullable); err != nil {
			return err
		}
		if c == '[' {
			if f.capture == slotPrimaryRecipients {
				env.PrimaryRecipients = stringsOf(sc.data[start:sc.i])
			} else {
				env.ResponseMessages = stringsOf(sc.data[start:sc.i])
				env.HasR0 = true
			}
		}
		return nil
	}
	if c != '"' {
		return v.value(sc, f.node, f.nullable)
	}
	return v.str(sc, f.node, f.capture)
}

// stringsOf returns the string items of a JSON array (already validated).
func stringsOf(arr []byte) []string {
	var out []string
	sc := scanner{data: arr, i: 1}
	for {
		sc.ws()
		switch sc.peek() {
		case '"':
			raw, esc, err := sc.rawString()
			if err != nil {
				return out
			}
			if esc {
				raw = unescape(nil, raw)
			}
			out = append(out, string(raw))
		case ',', 0:
			sc.i++
		case ']':
			return out
		default:
			if sc.skipValue() != nil {
				return out
			}
		}
		if sc.i >= len(sc.data) {
			return out
		}
	}
}

func (v *Validator) array(sc *scanner, n *node) error {
	sc.i++ // [
	count := 0
	// The path step of the item at hand, set for each item.
	depth := len(v.path)
	v.path = append(v.path, pathSeg{key: segIndex})
	if sc.skipWS() == ']' {
		sc.i++
	} else {
		for {
			v.path[depth].idx = count
			err := v.value(sc, n.items, n.itemNullable)
			if err != nil {
				return err
			}
			count++
			switch sc.skipWS() {
			case ',':
				sc.i++
				continue
			case ']':
				sc.i++
			default:
				return sc.fail("expected , or ] in array")
			}
			break
		}
	}
	v.path = v.path[:depth]
	if n.minItems != Unset && count < n.minItems {
		v.finding(RuleMinItems, MSG1001, 1, fmt.Sprintf("%d items, fewer than minItems %d", count, n.minItems))
	}
	if n.maxItems != Unset && count > n.maxItems {
		v.finding(RuleMaxItems, MSG1001, 1, fmt.Sprintf("%d items, more than maxItems %d", count, n.maxItems))
	}
	return nil
}

func (v *Validator) str(sc *scanner, n *node, capture slot) error {
	at := sc.i + 1 // the string's first byte
	if n.quick != quickNone {
		if l := n.quickLen(sc.data, at); l >= 0 {
			sc.i = at + l + 1
			v.checkString(n, sc.data[at:at+l], 0, capture, true)
			return nil
		}
	}
	// Most strings are short and plain: when, among the next eight bytes,
	// the first that scanString would stop at is the closing quote, the
	// bytes before it are the string.
	if len(sc.data)-at >= 8 {
		if m := special8(binary.LittleEndian.Uint64(sc.data[at:])); m != 0 {
			if l := bits.TrailingZeros64(m) / 8; sc.data[at+l] == '"' {
				sc.i = at + l + 1
				v.checkString(n, sc.data[at:at+l], 0, capture, false)
				return nil
			}
		}
	}
	raw, flags, err := sc.scanString()
	if err != nil {
		return err
	}
	s := raw
	if flags&strEscaped != 0 {
		v.buf = unescape(v.buf[:0], raw)
		s = v.buf
	}
	v.checkString(n, s, flags, capture, false)
	return nil
}

// checkString checks string value s (unescaped; flags as scanString
// reported them) against n and stores it when captured. quickPassed says
// that n's quick check passed on s, which then need not run again.
func (v *Validator) checkString(n *node, s []byte, flags uint8, capture slot, quickPassed bool) {
	ok := true
	if n.minLen != Unset || n.maxLen != Unset {
		// With neither escapes nor non-ASCII bytes, the string is ASCII.
		l := len(s)
		if flags != 0 {
			for _, b := range s {
				if b >= utf8.RuneSelf {
					l = utf8.RuneCount(s)
					break
				}
			}
		}
		if n.minLen != Unset && l < n.minLen {
			ok = false
			v.finding(RuleMinLength, MSG1001, 1, fmt.Sprintf("%q shorter than minLength %d (%s)", s, n.minLen, n.name))
		}
		if n.maxLen != Unset && l > n.maxLen {
			ok = false
			v.finding(RuleMaxLength, MSG1001, 1, fmt.Sprintf("%q longer than maxLength %d (%s)", s, n.maxLen, n.name))
		}
	}
	if n.enum != nil && !n.inEnum(s) {
		ok = false
		v.finding(RuleEnum, MSG1001, 1, fmt.Sprintf("%q is not one of %s (%s)", s, enumText(n.enum), n.name))
	}
	if n.pattern != nil && !(quickPassed && n.quick == quickPattern) && !n.pattern.match(s) {
		ok = false
		v.finding(RulePattern, MSG1001, 1, fmt.Sprintf("%q does not match %s (%s)", s, n.patternText, n.name))
	}
	if n.format != "" && !validFormat(n.format, s) {
		ok = false
		v.finding(RuleFormat, MSG1001, 1, fmt.Sprintf("%q is not a valid %s (%s)", s, n.format, n.name))
	}
	if ok && n.stateless != checkNone && !(quickPassed && n.quick == quickDateTime) {
		v.statelessCheck(n.stateless, s)
	}
	if capture != slotNone {
		v.store(capture, s)
	}
}

func enumText(e []string) string {
	if len(e) > 6 {
		return "[" + strings.Join(e[:6], " ") + " …]"
	}
	return "[" + strings.Join(e, " ") + "]"
}

// store keeps a captured string for finishCaptures.
func (v *Validator) store(s slot, val []byte) {
	v.capBytes = append(v.capBytes, val...)
	v.caps = append(v.caps, capSpan{slot: s, end: len(v.capBytes)})
}

func (v *Validator) resetCaptures() {
	v.capBytes, v.caps = v.capBytes[:0], v.caps[:0]
}

// finishCaptures fills env with the strings captured since resetCaptures,
// in capture order (a later value of a slot wins). They share one string
// allocation, and the pointer fields' targets another.
func (v *Validator) finishCaptures(env *Envelope) {
	if len(v.caps) == 0 {
		return
	}
	all := string(v.capBytes)
	pointers := 0
	for _, c := range v.caps {
		if c.slot.pointer() {
			pointers++
		}
	}
	var targets []string
	if pointers > 0 {
		targets = make([]string, 0, pointers) // never grows: pointers stay valid
	}
	start := 0
	for _, c := range v.caps {
		val := all[start:c.end]
		start = c.end
		var p *string
		if c.slot.pointer() {
			targets = append(targets, val)
			p = &targets[len(targets)-1]
		}
		setSlot(env, c.slot, val, p)
	}
	v.resetCaptures()
}

// pointer reports whether the slot's Envelope field is a *string.
func (s slot) pointer() bool {
	return s == slotSubText || s == slotSenderCorrelationID || s == slotDIPConnectionProviderID
}

// setSlot sets the Envelope field of slot s to val, or for a *string field
// to p, which points to val.
func setSlot(env *Envelope, s slot, val string, p *string) {
	switch s {
	case slotInterfaceID:
		env.InterfaceID = val
	case slotSchemaVersion:
		env.SchemaVersion = val
	case slotEventCode:
		env.EventCode = val
	case slotEnvironmentTag:
		env.EnvironmentTag = val
	case slotSubText:
		env.SubText = p
	case slotSenderUniqueReference:
		env.SenderUniqueReference = val
	case slotSenderTimestamp:
		env.SenderTimestamp = val
	case slotSenderDIPID:
		env.SenderDIPID = val
	case slotSenderRoleID:
		env.SenderRoleID = val
	case slotSenderCorrelationID:
		env.SenderCorrelationID = p
	case slotDIPConnectionProviderID:
		env.DIPConnectionProviderID = p
	case slotMPAN:
		env.MPAN = val
	case slotDistributorDIPID:
		env.DistributorDIPID = val
	case slotGSPGroupID:
		env.GSPGroupID = val
	case slotTransactionID:
		env.TransactionID = val
	case slotResponseCode:
		env.ResponseCode = val
		env.HasR0 = true
	}
}

func (v *Validator) number(sc *scanner, n *node) error {
	start := sc.i
	if err := sc.number(); err != nil {
		return err
	}
	lit := sc.data[start:sc.i]
	if n.kind == KindInteger && !integral(lit) {
		v.finding(RuleType, MSG1001, 1, fmt.Sprintf("%s is not an integer (%s)", lit, n.name))
		return nil
	}
	if !n.hasMin && !n.hasMax && n.multipleOf == 0 && n.format == "" {
		return nil
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return sc.fail("bad number")
	}
	if n.hasMin && f < n.min {
		v.finding(RuleMinimum, MSG1001, 1, fmt.Sprintf("%s is less than minimum %v (%s)", lit, n.min, n.name))
	}
	if n.hasMax && f > n.max {
		v.finding(RuleMaximum, MSG1001, 1, fmt.Sprintf("%s is more than maximum %v (%s)", lit, n.max, n.name))
	}
	if n.multipleOf != 0 {
		q := f / n.multipleOf
		if q != float64(int64(q)) {
			v.finding(RuleMultipleOf, MSG1001, 1, fmt.Sprintf("%s is not a multiple of %v (%s)", lit, n.multipleOf, n.name))
		}
	}
	if n.format == "int32" && !withinInt32(f) {
		v.finding(RuleFormat, MSG1001, 1, fmt.Sprintf("%s is outside int32 (%s)", lit, n.name))
	}
	return nil
}

// integral reports whether a JSON number literal has an integral value
// ("1", "1.0", "1.5e1", "100e-2"), as JSON Schema's integer type means.
func integral(lit []byte) bool {
	i := 0
	if i < len(lit) && lit[i] == '-' {
		i++
	}
	var digits []byte
	point := 0
	for i < len(lit) && lit[i] >= '0' && lit[i] <= '9' {
		digits = append(digits, lit[i])
		i++
	}
	point = len(digits)
	if i < len(lit) && lit[i] == '.' {
		i++
		for i < len(lit) && lit[i] >= '0' && lit[i] <= '9' {
			digits = append(digits, lit[i])
			i++
		}
	}
	if i < len(lit) && (lit[i] == 'e' || lit[i] == 'E') {
		exp, err := strconv.Atoi(strings.TrimPrefix(string(lit[i+1:]), "+"))
		if err != nil {
			// An exponent too large for int: the value is 0, huge (integral)
			// or tiny; treat huge positive as integral and negative as not
			// unless all digits are zero.
			if len(lit) > i+1 && lit[i+1] == '-' {
				return allZero(digits)
			}
			return true
		}
		point += exp
	}
	if point < 0 {
		return allZero(digits)
	}
	if point >= len(digits) {
		return true
	}
	return allZero(digits[point:])
}

func allZero(d []byte) bool {
	for _, c := range d {
		if c != '0' {
			return false
		}
	}
	return true
}

func validFormat(format string, s []byte) bool {
	switch format {
	case "uuid":
		if len(s) != 36 {
			return false
		}
		for i, c := range s {
			switch i {
			case 8, 13, 18, 23:
				if c != '-' {
					return false
				}
			default:
				if !isHex(c) {
					return false
				}
			}
		}
		return true
	case "email":
		at := bytes.IndexByte(s, '@')
		return at > 0 && at == bytes.LastIndexByte(s, '@') && at < len(s)-1 &&
			bytes.IndexAny(s, " \t\r\n") < 0 && bytes.IndexByte(s[at:], '.') > 0
	case "uri":
		u, err := url.Parse(string(s))
		return err == nil && u.Scheme != ""
	case "byte":
		_, err := base64.StdEncoding.DecodeString(string(s))
		return err == nil
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func (v *Validator) finding(rule Rule, code Code, level int, detail string) {
	if len(v.v.Findings) >= MaxFindings {
		return
	}
	v.v.Findings = append(v.v.Findings, Finding{Path: v.pathString(), Rule: rule, Code: code, Level: level, Detail: detail})
}

func (v *Validator) findingAt(path string, rule Rule, code Code, level int, detail string) {
	if len(v.v.Findings) >= MaxFindings {
		return
	}
	v.v.Findings = append(v.v.Findings, Finding{Path: path, Rule: rule, Code: code, Level: level, Detail: detail})
}

func (v *Validator) pathString() string {
	var b strings.Builder
	for i, p := range v.path {
		if p.key == segIndex {
			fmt.Fprintf(&b, "[%d]", p.idx)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		if p.key == segPayload {
			b.WriteString("payload")
			continue
		}
		// The key was read once already: it is a well-formed string.
		sc := scanner{data: v.data, i: p.key}
		raw, _, _ := sc.rawString()
		b.Write(raw)
	}
	return b.String()
}

// ValidateEnvelope validates body against a named schema of the DIP API
// envelope: an object (WebhookConfig, MessageRequest, StatusMessageRequest,
// StandardResponseBodyType, …) or an array (StandardResponseArray, the body of
// POST /statusmessage). Paths start at the body's root.
func (v *Validator) ValidateEnvelope(name string, body []byte) (Verdict, error) {
	n, err := v.s.envelopeNode(name)
	if err != nil {
		return Verdict{}, err
	}
	verdict := Verdict{Index: -1}
	v.v = &verdict
	v.data = body
	v.path = v.path[:0]
	v.resetCaptures()
	defer func() { v.v, v.data = nil, nil }()
	sc := scanner{data: body}
	if err := v.value(&sc, n, false); err != nil {
		return Verdict{}, err
	}
	v.finishCaptures(&verdict.Envelope)
	if err := sc.end(); err != nil {
		return Verdict{}, err
	}
	return verdict, nil
}
