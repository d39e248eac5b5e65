package regs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// The scenario tests read testdata/*.scn: market processes written as data,
// for a reader who wants to learn the rules. testdata/README.md describes
// the format. Every message a scenario's inputs produce is checked against
// the contract (catalogue.EncodeValid, no findings), every input is decided
// twice on the same state to check that the messages are byte-identical,
// and a rejected input must leave every registration unchanged.

// party is a participant of the scenarios, named by its MPID.
type party struct {
	alias string
	dipID string
	roles []market.Role
}

// parties are the participants every scenario knows; a scenario may add
// others with a "party" line.
var parties = []party{
	{"SUPA", "2300000001", []market.Role{market.RoleSupplier}},
	{"SUPB", "2300000002", []market.Role{market.RoleSupplier}},
	{"SUPC", "2300000003", []market.Role{market.RoleSupplier}},
	{"MSSA", "2400000001", []market.Role{market.RoleMSS}},
	{"MSSB", "2400000002", []market.Role{market.RoleMSS}},
	{"MSSC", "2400000003", []market.Role{market.RoleMSS}},
	{"MSAA", "2400000011", []market.Role{market.RoleMSA}},
	{"MSAB", "2400000012", []market.Role{market.RoleMSA}},
	{"UMSO", "2400000021", []market.Role{market.RoleUMSO}},
	{"SDSA", "2500000001", []market.Role{market.RoleSDS}},
	{"SDSB", "2500000002", []market.Role{market.RoleSDS}},
	{"ADSA", "2500000011", []market.Role{market.RoleADS}},
	{"ADSB", "2500000012", []market.Role{market.RoleADS}},
	{"UMDS", "2500000021", []market.Role{market.RoleUMSDS}},
	{"MDRA", "2600000001", []market.Role{market.RoleMDR}},
	{"MDRB", "2600000002", []market.Role{market.RoleMDR}},
	// A supplier that is also its own smart metering and data service.
	{"SUPX", "2300000009", []market.Role{market.RoleSupplier, market.RoleMSS, market.RoleSDS}},
	{"LDSA", "1000000010", []market.Role{market.RoleLDSO}},
	{"ECSA", "1200000001", []market.Role{market.RoleECS}},
	{"REGS", "1100000001", []market.Role{market.RoleREGS}},
}

// world is the parties of one scenario.
type world struct {
	byAlias map[string]party
	byDIP   map[string]party
}

func newWorld() *world {
	w := &world{byAlias: map[string]party{}, byDIP: map[string]party{}}
	for _, p := range parties {
		w.add(p)
	}
	return w
}

func (w *world) add(p party) {
	w.byAlias[p.alias] = p
	w.byDIP[p.dipID] = p
}

// Roles makes the world a Directory.
func (w *world) Roles(dipID string) []market.Role { return w.byDIP[dipID].roles }

func (w *world) dip(alias string) (string, error) {
	p, ok := w.byAlias[alias]
	if !ok {
		return "", fmt.Errorf("unknown party %q", alias)
	}
	return p.dipID, nil
}

// name returns the alias of a DIP id, or the id.
func (w *world) name(dipID string) string {
	if p, ok := w.byDIP[dipID]; ok {
		return p.alias
	}
	return dipID
}

// substitute replaces @ALIAS with the party's DIP id in JSON text.
func (w *world) substitute(s string) (string, error) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '@')
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		j := i + 1
		for j < len(s) && (s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		id, err := w.dip(s[i+1 : j])
		if err != nil {
			return "", err
		}
		b.WriteString(id)
		s = s[j:]
	}
}

// expand replaces each $NAME with the JSON text defined for it, and each
// $NAME(a,b,…) with the text where {1}, {2}, … are the arguments and
// {midnight N} the local midnight of the date argument N in the wire form.
func (r *runner) expand(s string) (string, error) {
	var err error
	out := macro.ReplaceAllStringFunc(s, func(m string) string {
		sub := macro.FindStringSubmatch(m)
		body, ok := r.defs[sub[1]]
		if !ok {
			err = fmt.Errorf("no define %s", sub[1])
			return m
		}
		if sub[2] == "" {
			return body
		}
		args := strings.Split(sub[3], ",")
		for i, a := range args {
			a = strings.TrimSpace(a)
			body = strings.ReplaceAll(body, fmt.Sprintf("{%d}", i+1), a)
			if strings.Contains(body, fmt.Sprintf("{midnight %d}", i+1)) {
				d, perr := parseDate(a)
				if perr != nil {
					err = perr
				}
				body = strings.ReplaceAll(body, fmt.Sprintf("{midnight %d}", i+1), market.MidnightOf(d).String())
			}
		}
		return body
	})
	return out, err
}

var macro = regexp.MustCompile(`\$([A-Za-z][A-Za-z0-9]*)(\(([^()]*)\))?`)

// memBook is a Book that keeps registrations as their JSON documents, as
// the stores do: a registration the Engine changes but does not Put is not
// kept.
type memBook struct {
	docs map[market.MPAN][]byte
	puts int
}

func newBook() *memBook { return &memBook{docs: map[market.MPAN][]byte{}} }

func (b *memBook) Registration(mpan market.MPAN) (*Registration, error) {
	doc, ok := b.docs[mpan]
	if !ok {
		return nil, fmt.Errorf("%s: %w", mpan, ErrNotFound)
	}
	return Decode(doc)
}

func (b *memBook) Put(r *Registration) error {
	doc, err := r.Encode()
	if err != nil {
		return err
	}
	b.docs[r.MPAN] = doc
	b.puts++
	return nil
}

func (b *memBook) clone() *memBook {
	c := newBook()
	for k, v := range b.docs {
		c.docs[k] = slices.Clone(v)
	}
	return c
}

func (b *memBook) get(t testing.TB, mpan market.MPAN) *Registration {
	t.Helper()
	r, err := b.Registration(mpan)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return r
}

// line is one line of a scenario file with its indented continuation.
type line struct {
	no    int
	words []string
	body  []string // indented lines that follow
}

type scenario struct {
	name  string
	file  string
	lines []line
}

// readScenarios parses a scenario file into its scenarios.
func readScenarios(path string) ([]scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []scenario
	sc := bufio.NewScanner(f)
	no := 0
	for sc.Scan() {
		no++
		text := sc.Text()
		if i := strings.Index(text, " #"); i >= 0 && !strings.Contains(text[:i], `"`) {
			text = text[:i]
		}
		trimmed := strings.TrimSpace(text)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if name, ok := strings.CutPrefix(trimmed, "=== "); ok {
			out = append(out, scenario{name: name, file: path})
			continue
		}
		if len(out) == 0 {
			// The file's prelude: defines shared by its scenarios.
			out = append(out, scenario{name: "", file: path})
		}
		s := &out[len(out)-1]
		if text[0] == ' ' || text[0] == '\t' {
			if len(s.lines) == 0 {
				return nil, fmt.Errorf("%s:%d: indented line with nothing to continue", path, no)
			}
			l := &s.lines[len(s.lines)-1]
			l.body = append(l.body, trimmed)
			continue
		}
		words, err := fields(trimmed)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, no, err)
		}
		s.lines = append(s.lines, line{no: no, words: words})
	}
	return out, sc.Err()
}

// fields splits a line on spaces, keeping "quoted text" together.
func fields(s string) ([]string, error) {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, errors.New("unterminated quote")
			}
			out = append(out, s[1:end+1])
			s = s[end+2:]
			continue
		}
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			i = len(s)
		}
		w := s[:i]
		// key="quoted value"
		if k, v, ok := strings.Cut(w, `="`); ok {
			end := strings.IndexByte(s[len(k)+2:], '"')
			if end < 0 {
				return nil, errors.New("unterminated quote")
			}
			_ = v
			out = append(out, k+"="+s[len(k)+2:len(k)+2+end])
			s = s[len(k)+3+end:]
			continue
		}
		out = append(out, w)
		s = s[i:]
	}
	return out, nil
}

// keyed splits key=value words from the others.
func keyed(words []string) (map[string]string, []string) {
	kv := map[string]string{}
	var rest []string
	for _, w := range words {
		if k, v, ok := strings.Cut(w, "="); ok && k != "" {
			kv[k] = v
		} else {
			rest = append(rest, w)
		}
	}
	return kv, rest
}

func parseDate(s string) (market.SettlementDate, error) { return market.ParseSettlementDate(s) }

// parseTime reads "2025-06-02T10:00" as London local time, or the wire form.
func parseTime(s string) (time.Time, error) {
	if len(s) == 25 {
		return market.ParseDateTime(s)
	}
	return time.ParseInLocation("2006-01-02T15:04", s, market.London())
}

// runner runs one scenario.
type runner struct {
	t     *testing.T
	sc    scenario
	w     *world
	book  *memBook
	eng   *Engine
	clock time.Time
	tx    int
	last  Decision
	defs  map[string]string // define NAME: JSON text that $NAME stands for
	// messages of the last input, with their encodings
	encoded [][]byte
}

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.scn"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenario files in testdata")
	}
	n := 0
	for _, f := range files {
		scs, err := readScenarios(f)
		if err != nil {
			t.Fatal(err)
		}
		var prelude []line
		if len(scs) > 0 && scs[0].name == "" {
			prelude, scs = scs[0].lines, scs[1:]
		}
		for _, sc := range scs {
			sc.lines = append(slices.Clone(prelude), sc.lines...)
			n++
			t.Run(strings.TrimSuffix(filepath.Base(f), ".scn")+"/"+sc.name, func(t *testing.T) {
				runScenario(t, sc)
			})
		}
	}
	t.Logf("%d scenarios in %d files", n, len(files))
}

func runScenario(t *testing.T, sc scenario) {
	w := newWorld()
	cfg := DefaultConfig("1100000001", "REGS", w)
	eng, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &runner{t: t, sc: sc, w: w, book: newBook(), eng: eng}
	for i := 0; i < len(sc.lines); i++ {
		l := sc.lines[i]
		// An input is followed by its expectations: collect them.
		var expects []line
		if isInput(l.words[0]) {
			for i+1 < len(sc.lines) && isExpectation(sc.lines[i+1].words[0]) {
				i++
				expects = append(expects, sc.lines[i])
			}
		}
		if err := r.do(l, expects); err != nil {
			t.Fatalf("%s:%d: %v", sc.file, l.no, err)
		}
	}
}

func isInput(w string) bool {
	return w == "receive" || w == "css" || w == "maintain" || w == "tick"
}

func isExpectation(w string) bool { return w == "expect" || w == "rejected" }

func (r *runner) do(l line, expects []line) error {
	switch l.words[0] {
	case "party":
		if len(l.words) != 4 {
			return errors.New("want: party ALIAS DIPID ROLE,ROLE")
		}
		var roles []market.Role
		for _, s := range strings.Split(l.words[3], ",") {
			roles = append(roles, market.Role(s))
		}
		r.w.add(party{l.words[1], l.words[2], roles})
		return nil
	case "config":
		return r.config(l.words[1:])
	case "define":
		if len(l.words) != 2 || len(l.body) == 0 {
			return errors.New("want: define NAME, then the JSON text indented")
		}
		if r.defs == nil {
			r.defs = map[string]string{}
		}
		r.defs[l.words[1]] = strings.Join(l.body, "\n")
		return nil
	case "given":
		return r.given(l)
	case "at":
		if len(l.words) != 2 {
			return errors.New("want: at 2025-06-02T10:00")
		}
		t, err := parseTime(l.words[1])
		r.clock = t
		return err
	case "check":
		return r.check(l)
	case "receive", "css", "maintain", "tick":
		return r.input(l, expects)
	case "expect", "rejected":
		return errors.New("an expectation must follow an input")
	}
	return fmt.Errorf("unknown statement %q", l.words[0])
}

func (r *runner) config(words []string) error {
	cfg := r.eng.cfg
	for _, w := range words {
		k, v, _ := strings.Cut(w, "=")
		n, err := strconv.Atoi(v)
		if err != nil {
			return err
		}
		switch k {
		case "reminder-grace":
			cfg.ReminderGraceWorkingDays = n
		case "reminder-every":
			cfg.ReminderEveryDays = n
		case "provider-response":
			cfg.ProviderResponseWorkingDays = n
		case "switch-expiry":
			cfg.SwitchExpiryDays = n
		default:
			return fmt.Errorf("unknown config %q", k)
		}
	}
	eng, err := New(cfg)
	r.eng = eng
	return err
}

// input runs an input twice on the same state (the messages must be
// byte-identical), keeps the second run's state and checks the
// expectations.
func (r *runner) input(l line, expects []line) error {
	if r.clock.IsZero() {
		return errors.New("no clock: write an \"at\" line first")
	}
	before := r.book.clone()
	decide, err := r.prepare(l)
	if err != nil {
		return err
	}
	run := func(book *memBook) (Decision, [][]byte, error) {
		d, err := decide(book)
		if err != nil {
			return d, nil, err
		}
		var enc [][]byte
		for _, m := range d.Messages {
			b, findings, err := catalogue.EncodeValid(m)
			if err != nil {
				return d, nil, fmt.Errorf("encode %s: %v", variantKey(m), err)
			}
			if len(findings) > 0 {
				return d, nil, fmt.Errorf("%s breaks the contract: %v", variantKey(m), findings)
			}
			enc = append(enc, b)
		}
		return d, enc, nil
	}
	_, first, err := run(before.clone())
	if err != nil {
		return err
	}
	d, enc, err := run(r.book)
	if err != nil {
		return err
	}
	if len(first) != len(enc) {
		return fmt.Errorf("deciding the input twice gave %d and %d messages", len(first), len(enc))
	}
	for i := range enc {
		if !bytes.Equal(first[i], enc[i]) {
			return fmt.Errorf("deciding the input twice gave different messages:\n%s\n%s", first[i], enc[i])
		}
	}
	if d.Rejected {
		for mpan, doc := range before.docs {
			if !bytes.Equal(doc, r.book.docs[mpan]) {
				return fmt.Errorf("a rejected input changed %s:\n%s\n%s", mpan, doc, r.book.docs[mpan])
			}
		}
		if len(before.docs) != len(r.book.docs) {
			return errors.New("a rejected input created a registration")
		}
	}
	r.last, r.encoded = d, enc
	return r.expect(l, d, enc, expects)
}

// prepare reads an input line and returns the function that decides it on
// a book; each call decides the same input afresh.
func (r *runner) prepare(l line) (func(*memBook) (Decision, error), error) {
	if l.words[0] == "receive" {
		b, tx, err := r.payload(l)
		if err != nil {
			return nil, err
		}
		clock := r.clock
		return func(book *memBook) (Decision, error) {
			p, err := catalogue.Default().Decode(b)
			if err != nil {
				return Decision{}, fmt.Errorf("the message would not pass the DIP: %v", err)
			}
			return r.eng.Receive(book, Input{Payload: p, TransactionID: tx, Timestamp: clock})
		}, nil
	}
	return func(book *memBook) (Decision, error) { return r.decide(l, book) }, nil
}

func (r *runner) decide(l line, book *memBook) (Decision, error) {
	kv, rest := keyed(l.words[1:])
	switch l.words[0] {
	case "css":
		if len(rest) != 1 {
			return Decision{}, errors.New("want: css KIND id=… mpan=… [registration=…] [supplier=ALIAS] [from=DATE] [upheld=true]")
		}
		ev := CSSEvent{ID: kv["id"], At: r.clock, Kind: CSSEventKind(rest[0]), MPAN: market.MPAN(kv["mpan"]), RegistrationID: kv["registration"]}
		if s, ok := kv["supplier"]; ok {
			id, err := r.w.dip(s)
			if err != nil {
				return Decision{}, err
			}
			ev.Supplier = Party{id, s}
		}
		if f, ok := kv["from"]; ok {
			d, err := parseDate(f)
			if err != nil {
				return Decision{}, err
			}
			ev.From = d
		}
		ev.Upheld = kv["upheld"] == "true"
		return r.eng.CSS(book, ev)
	case "maintain":
		m, err := r.maintenance(rest, kv)
		if err != nil {
			return Decision{}, err
		}
		return r.eng.Maintain(book, m)
	case "tick":
		if len(rest) != 1 {
			return Decision{}, errors.New("want: tick MPAN")
		}
		return r.eng.Tick(book, market.MPAN(rest[0]), r.clock)
	}
	return Decision{}, fmt.Errorf("not an input: %s", l.words[0])
}

// payload builds a delivered DIP message from
// "receive IF-031 [MSApp] from SUPA mpan 1012345678903 [tx T1]" and its
// CustomBlock, given as indented JSON, and decodes it as the DIP would.
func (r *runner) payload(l line) ([]byte, string, error) {
	w := l.words
	if len(w) < 7 || w[3] != "from" || w[5] != "mpan" {
		return nil, "", errors.New("want: receive IF-nnn [Event] from ALIAS mpan MPAN [tx ID]")
	}
	v, ok := catalogue.Default().Variant(w[1], w[2])
	if !ok {
		return nil, "", fmt.Errorf("no variant %s %s", w[1], w[2])
	}
	r.tx++
	tx := fmt.Sprintf("TX-%s-%d", catalogue.Key(r.sc.file, r.sc.name)[:8], r.tx)
	if len(w) >= 9 && w[7] == "tx" {
		tx = w[8]
	}
	sender, ok := r.w.byAlias[w[4]]
	if !ok {
		return nil, "", fmt.Errorf("unknown party %q", w[4])
	}
	in, _ := catalogue.Default().Interface(v.InterfaceID)
	role := ""
	for _, rl := range sender.roles {
		if in.MaySend(string(rl)) {
			role = string(rl)
			break
		}
	}
	if role == "" {
		return nil, "", fmt.Errorf("%s holds no role that sends %s", sender.alias, v.InterfaceID)
	}
	s := &catalogue.Sender{DIPID: sender.dipID, Role: role, Now: func() time.Time { return r.clock }}
	p, err := catalogue.New(v)
	if err != nil {
		return nil, "", err
	}
	s.StampKey(p, r.clock, catalogue.Key(tx))
	common := p.Common()
	mpan := market.MPAN(w[6])
	gsp, _ := market.GSPGroupOfDistributor(mpan.DistributorID())
	ldso, _ := r.w.dip("LDSA")
	block := map[string]any{"S0": common.S0, "S1": common.S1,
		"D0": catalogue.D0{TransactionID: tx, TransactionTimestamp: market.At(r.clock), PublicationID: strings.Replace(v.InterfaceID, "IF", "PUB", 1)}}
	if common.M1 != nil {
		block["M1"] = catalogue.M1{PrincipalMPAN: mpan, DistributorDIPID: ldso, GSPGroupID: gsp}
	} else {
		block["M0"] = catalogue.M0{MPANCore: mpan, DistributorDIPID: ldso, GSPGroupID: gsp}
	}
	msg := map[string]any{"CommonBlock": block}
	if len(l.body) > 0 {
		text, err := r.expand(strings.Join(l.body, "\n"))
		if err != nil {
			return nil, "", err
		}
		custom, err := r.w.substitute(text)
		if err != nil {
			return nil, "", err
		}
		msg["CustomBlock"] = json.RawMessage(custom)
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return nil, "", fmt.Errorf("the CustomBlock is not JSON: %v", err)
	}
	if _, err := catalogue.Default().Decode(b); err != nil {
		return nil, "", fmt.Errorf("the message would not pass the DIP: %v", err)
	}
	return b, tx, nil
}

func (r *runner) maintenance(rest []string, kv map[string]string) (Maintenance, error) {
	if len(rest) != 1 {
		return Maintenance{}, errors.New("want: maintain KIND id=… mpan=… from=DATE …")
	}
	from, err := parseDate(kv["from"])
	if err != nil {
		return Maintenance{}, err
	}
	m := Maintenance{ID: kv["id"], At: r.clock, MPAN: market.MPAN(kv["mpan"]), From: from}
	addr := func() Address {
		a := Address{Postcode: kv["postcode"]}
		if l := kv["lines"]; l != "" {
			a.Lines = strings.Split(l, "|")
		}
		return a
	}
	switch rest[0] {
	case "new-connection":
		ldso, err := r.w.dip(kv["ldso"])
		if err != nil {
			return m, err
		}
		m.Change = NewConnection{LDSO: ldso, GSP: market.GSPGroup(kv["gsp"]), Address: addr(),
			Connection: market.ConnectionType(kv["connection"]), Direction: catalogue.EnergyDirection(kv["direction"]),
			Metered: kv["metered"] == "true", DUoSTariff: kv["duos"], Segment: market.MarketSegment(kv["segment"]),
			Domestic: kv["domestic"] == "true"}
	case "address":
		m.Change = AddressChange{addr()}
	case "gsp":
		m.Change = GSPChange{market.GSPGroup(kv["gsp"])}
	case "duos":
		m.Change = DUoSTariffChange{kv["duos"]}
	case "direction":
		m.Change = EnergyDirectionChange{catalogue.EnergyDirection(kv["direction"])}
	case "domestic":
		m.Change = DomesticChange{kv["domestic"] == "true"}
	case "dcc":
		m.Change = DCCChange{catalogue.DCCServiceFlag(kv["dcc"])}
	case "metered":
		m.Change = MeteredChange{kv["metered"] == "true"}
	case "connection":
		m.Change = ConnectionTypeChange{market.ConnectionType(kv["connection"])}
	case "disconnection":
		m.Change = Disconnection{kv["info"]}
	case "reconnection":
		m.Change = Reconnection{}
	case "green-deal":
		g := GreenDealChange{}
		if to, ok := kv["to"]; ok {
			d, err := parseDate(to)
			if err != nil {
				return m, err
			}
			g.To = &d
		}
		m.Change = g
	default:
		return m, fmt.Errorf("unknown maintenance %q", rest[0])
	}
	return m, nil
}

// expect checks a decision against its expectations: exactly the
// messages listed, in order, and a rejection when (and only when) one is
// expected.
func (r *runner) expect(l line, d Decision, enc [][]byte, expects []line) error {
	var msgs []line
	var rejected *line
	for i := range expects {
		if expects[i].words[0] == "rejected" {
			rejected = &expects[i]
		} else {
			msgs = append(msgs, expects[i])
		}
	}
	switch {
	case rejected == nil && d.Rejected:
		return fmt.Errorf("rejected (%v %s), expected accepted", d.Codes, d.Detail)
	case rejected != nil && !d.Rejected:
		return fmt.Errorf("line %d: accepted, expected rejected", rejected.no)
	case rejected != nil:
		var want []catalogue.RejectionCode
		for _, c := range rejected.words[1:] {
			want = append(want, catalogue.RejectionCode(c))
		}
		if !slices.Equal(want, d.Codes) {
			return fmt.Errorf("line %d: rejected with %v (%s), expected %v", rejected.no, d.Codes, d.Detail, want)
		}
	}
	if len(msgs) != len(d.Messages) {
		var got []string
		for _, m := range d.Messages {
			got = append(got, variantKey(m)+" to "+r.names(m.Common().A0.PrimaryRecipients))
		}
		return fmt.Errorf("%d messages, expected %d:\n  %s", len(d.Messages), len(msgs), strings.Join(got, "\n  "))
	}
	for i, e := range msgs {
		if err := r.expectMessage(e, d.Messages[i], enc[i]); err != nil {
			return fmt.Errorf("line %d: message %d (%s): %v", e.no, i+1, variantKey(d.Messages[i]), err)
		}
	}
	return nil
}

func (r *runner) names(ids []string) string {
	if len(ids) == 0 {
		return "-"
	}
	var out []string
	for _, id := range ids {
		out = append(out, r.w.name(id))
	}
	return strings.Join(out, ",")
}

// expectMessage checks "expect IF-032 [MSAppInitialResp] to SUPA [A|R CODE…]"
// and its indented "path = value" lines.
func (r *runner) expectMessage(e line, m catalogue.Payload, enc []byte) error {
	w := e.words
	if len(w) < 5 || w[3] != "to" {
		return errors.New("want: expect IF-nnn [Event] to ALIAS,ALIAS|- [A|R CODE…]")
	}
	if got := variantKey(m); got != w[1]+" "+w[2] {
		return fmt.Errorf("got %s, expected %s %s", got, w[1], w[2])
	}
	if got := r.names(m.Common().A0.PrimaryRecipients); got != w[4] {
		return fmt.Errorf("addressed to %s, expected %s", got, w[4])
	}
	if s1 := m.Common().S1; s1.SenderDIPID != r.eng.cfg.DIPID || s1.SenderRoleID != "REGS" {
		return fmt.Errorf("sent as %s %s, not REGS", s1.SenderDIPID, s1.SenderRoleID)
	}
	if len(w) > 5 {
		r0 := m.Common().R0
		if r0 == nil {
			return errors.New("no R0 to check")
		}
		var got []string
		got = append(got, string(r0.ResponseCode))
		for _, msg := range r0.ResponseMessages {
			c, _ := catalogue.ParseRejection(*msg)
			got = append(got, string(c))
		}
		if !slices.Equal(got, w[5:]) {
			return fmt.Errorf("R0 %v, expected %v", got, w[5:])
		}
	}
	var doc map[string]any
	if err := json.Unmarshal(enc, &doc); err != nil {
		return err
	}
	for _, f := range e.body {
		path, want, ok := strings.Cut(f, " = ")
		if !ok {
			return fmt.Errorf("want: path = value, got %q", f)
		}
		if !strings.HasPrefix(path, "CommonBlock.") {
			path = "CustomBlock." + path
		}
		got, err := lookup(doc, path)
		if want == "absent" {
			if err == nil {
				return fmt.Errorf("%s is present, expected absent", path)
			}
			continue
		}
		if err != nil {
			return err
		}
		wantJSON, err := r.valueJSON(want)
		if err != nil {
			return err
		}
		gotJSON, _ := json.Marshal(got)
		if string(gotJSON) != wantJSON {
			return fmt.Errorf("%s = %s, expected %s", path, gotJSON, wantJSON)
		}
	}
	return nil
}

// valueJSON is the JSON an expected value stands for: @ALIAS a DIP id,
// null, true, false, a number or "quoted" as they are, anything else a
// string.
func (r *runner) valueJSON(s string) (string, error) {
	switch {
	case strings.HasPrefix(s, "@"):
		id, err := r.w.dip(s[1:])
		if err != nil {
			return "", err
		}
		return strconv.Quote(id), nil
	case s == "null" || s == "true" || s == "false" || strings.HasPrefix(s, `"`):
		return s, nil
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil && !strings.HasPrefix(s, "0") {
		return s, nil
	}
	b, _ := json.Marshal(s)
	return string(b), nil
}

// lookup follows a path like CustomBlock.B905List[0].existingMeter.meterID.
func lookup(doc any, path string) (any, error) {
	cur := doc
	for _, part := range strings.Split(path, ".") {
		name, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 && strings.HasSuffix(part, "]") {
			n, err := strconv.Atoi(part[i+1 : len(part)-1])
			if err != nil {
				return nil, fmt.Errorf("bad index in %s", part)
			}
			name, idx = part[:i], n
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: not an object at %s", path, part)
		}
		if cur, ok = m[name]; !ok {
			return nil, fmt.Errorf("%s: no %s", path, name)
		}
		if idx >= 0 {
			l, ok := cur.([]any)
			if !ok || idx >= len(l) {
				return nil, fmt.Errorf("%s: no item %d of %s", path, idx, name)
			}
			cur = l[idx]
		}
	}
	return cur, nil
}

// check asserts the state: "check MPAN ATTR DATE = VALUE" asks the
// registration as at DATE; "check MPAN switch|proposals|due = VALUE" its
// pending work.
func (r *runner) check(l line) error {
	w := l.words
	eq := slices.Index(w, "=")
	if len(w) < 4 || eq < 3 {
		return errors.New("want: check MPAN ATTR [DATE] = VALUE")
	}
	mpan, attr, want := market.MPAN(w[1]), w[2], strings.Join(w[eq+1:], " ")
	doc, ok := r.book.docs[mpan]
	if !ok {
		if attr == "exists" && want == "false" {
			return nil
		}
		return fmt.Errorf("no registration of %s", mpan)
	}
	reg, err := Decode(doc)
	if err != nil {
		return err
	}
	var got string
	switch attr {
	case "exists":
		got = "true"
	case "switch":
		got = "none"
		if reg.Switch != nil {
			got = reg.Switch.ID + " " + string(reg.Switch.State)
		}
	case "proposals":
		var ps []string
		for _, p := range reg.Proposals {
			s := string(p.Proposed.Kind) + ":" + r.w.name(p.Proposed.DIPID)
			if p.Accepted {
				s += ":accepted"
			}
			ps = append(ps, s)
		}
		got = strings.Join(ps, " ")
		if got == "" {
			got = "none"
		}
	case "due":
		got = "none"
		if reg.Due != nil {
			got = reg.Due.String()
		}
	case "reminded":
		var ks []string
		for k, d := range reg.Reminded {
			ks = append(ks, k+"@"+d.String())
		}
		slices.Sort(ks)
		got = strings.Join(ks, " ")
		if got == "" {
			got = "none"
		}
	default:
		if eq != 4 {
			return errors.New("want: check MPAN ATTR DATE = VALUE")
		}
		d, err := parseDate(w[3])
		if err != nil {
			return err
		}
		got, err = r.attribute(reg, attr, d)
		if err != nil {
			return err
		}
	}
	if got != want {
		return fmt.Errorf("%s %s = %q, expected %q", mpan, strings.Join(w[2:eq], " "), got, want)
	}
	return nil
}

// attribute renders an attribute of the registration as at d: a party by
// its alias, "-" for none.
func (r *runner) attribute(reg *Registration, attr string, d market.SettlementDate) (string, error) {
	s := reg.At(d)
	party := func(id string) string {
		if id == "" {
			return "-"
		}
		return r.w.name(id)
	}
	str := func(v string) string {
		if v == "" {
			return "-"
		}
		return v
	}
	group := func(g Group) string {
		if g.Principal == "" {
			return "-"
		}
		out := string(g.Principal)
		for _, m := range g.Members {
			out += " " + string(m)
		}
		return out
	}
	switch attr {
	case "supplier":
		return party(s.Supplier.DIPID), nil
	case "ms", "ds":
		a := s.MS
		if attr == "ds" {
			a = s.DS
		}
		if a.DIPID == "" {
			return "-", nil
		}
		return party(a.DIPID) + " " + string(a.Scenario) + " by=" + party(a.By), nil
	case "mdr":
		return party(s.MDR.DIPID), nil
	case "direct-ms":
		return party(s.DirectMS), nil
	case "direct-ds":
		return party(s.DirectDS), nil
	case "segment":
		return str(string(s.Segment)), nil
	case "energisation":
		return str(string(s.Energisation)), nil
	case "consent":
		return str(string(s.Consent)), nil
	case "ihd":
		return str(string(s.IHD)), nil
	case "smso":
		return str(s.SMSO), nil
	case "pc":
		return str(s.ProfileClass), nil
	case "ssc":
		return str(s.SSC), nil
	case "dcc":
		return str(string(s.DCC)), nil
	case "gsp":
		return str(string(s.GSP)), nil
	case "connection":
		return str(string(s.Connection)), nil
	case "direction":
		return str(string(s.Direction)), nil
	case "duos":
		return str(s.DUoSTariff), nil
	case "domestic":
		return strconv.FormatBool(s.Domestic), nil
	case "metered":
		return strconv.FormatBool(s.Metered), nil
	case "greendeal":
		return strconv.FormatBool(s.GreenDeal), nil
	case "migrated":
		return strconv.FormatBool(s.Migrated), nil
	case "address":
		return s.Address.Postcode + " " + strings.Join(s.Address.Lines, "|"), nil
	case "rmp":
		return str(string(s.RMP)), nil
	case "mp":
		return str(string(s.MP)), nil
	case "linked":
		return group(s.Linked), nil
	case "related":
		return group(s.Related), nil
	case "annual":
		if s.Annual.Quality == "" {
			return "-", nil
		}
		return s.Annual.Energy.KWh() + " " + string(s.Annual.Quality), nil
	case "meters":
		var ms []string
		for _, m := range s.Meters {
			ms = append(ms, m.ID+":"+string(m.Type)+":"+str(m.MAP))
		}
		if len(ms) == 0 {
			return "-", nil
		}
		return strings.Join(ms, " "), nil
	}
	return "", fmt.Errorf("unknown attribute %q", attr)
}
