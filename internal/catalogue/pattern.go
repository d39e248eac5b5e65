package catalogue

import (
	"math"
	"regexp"
	"strconv"
)

// matcher tests a string against a contract pattern. Most contract patterns
// are anchored sequences of character classes with counts (^-?\d{1,9}\.\d{3}$);
// those compile to a small backtracking matcher that needs no allocation.
// Patterns with groups, alternations and + (the senderUniqueReference's
// ^S-((IF|REP)-)?\d{3}…-[a-zA-Z0-9]+$) compile to a few such sequences, one
// per way through the groups. Any other pattern falls back to regexp.
// FuzzPatternMatcher checks that matcher and regexp agree on every contract
// pattern.
type matcher struct {
	atoms []atom    // a simple pattern (parseSimplePattern)
	alts  []atomSeq // else a pattern with groups (parseAlternatives)
	// greedy: no atom can give back bytes to the atoms after it (see
	// greedyOnly), so one left-to-right pass decides the match.
	greedy bool
	re     *regexp.Regexp
}

type atom struct {
	set      [256]bool // bytes the atom accepts (patterns are ASCII)
	min, max int
}

// atomSeq is one sequence of atoms a pattern with groups expands to.
type atomSeq struct {
	atoms  []atom
	greedy bool
}

func compilePattern(p string) (*matcher, error) {
	if atoms, ok := parseSimplePattern(p); ok {
		return &matcher{atoms: atoms, greedy: greedyOnly(atoms)}, nil
	}
	if seqs, ok := parseAlternatives(p); ok {
		m := &matcher{}
		for _, atoms := range seqs {
			m.alts = append(m.alts, atomSeq{atoms: atoms, greedy: greedyOnly(atoms)})
		}
		return m, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	return &matcher{re: re}, nil
}

func (m *matcher) match(s []byte) bool {
	switch {
	case m.re != nil:
		return m.re.Match(s)
	case m.alts != nil:
		for i := range m.alts {
			a := &m.alts[i]
			if a.greedy && matchGreedy(a.atoms, s) || !a.greedy && matchAtoms(a.atoms, s) {
				return true
			}
		}
		return false
	case m.greedy:
		return matchGreedy(m.atoms, s)
	}
	return matchAtoms(m.atoms, s)
}

func matchAtoms(atoms []atom, s []byte) bool {
	if len(atoms) == 0 {
		return len(s) == 0
	}
	a := &atoms[0]
	n := 0
	for n < a.max && n < len(s) && a.set[s[n]] {
		n++
	}
	if n < a.min {
		return false
	}
	if len(atoms) == 1 {
		return n == len(s)
	}
	for ; n >= a.min; n-- { // greedy, then backtrack
		if matchAtoms(atoms[1:], s[n:]) {
			return true
		}
	}
	return false
}

// greedyOnly reports whether backtracking can never help: whether each
// atom's set is disjoint from every set that can take the byte following
// it (the sets of the next atoms up to and including the first one that
// must match at least once). When it holds, giving back a byte b from atom
// i leaves b, in atom i's set, as the next byte, which no following atom
// may take, so the match fails; the greedy count is the only one to try.
// ^-?\d{1,9}\.\d{3}$ has that property, and so do most contract patterns.
func greedyOnly(atoms []atom) bool {
	for i := range atoms {
		for j := i + 1; j < len(atoms); j++ {
			for c := range atoms[i].set {
				if atoms[i].set[c] && atoms[j].set[c] {
					return false
				}
			}
			if atoms[j].min > 0 {
				break
			}
		}
	}
	return true
}

// matchGreedy is matchAtoms without backtracking, for atoms that pass
// greedyOnly.
func matchGreedy(atoms []atom, s []byte) bool {
	return matchGreedyPrefix(atoms, s) == len(s)
}

// matchGreedyPrefix runs matchGreedy's pass on s without asking it to end
// there: it returns how many bytes of s the atoms take, or -1 when they do
// not match.
func matchGreedyPrefix(atoms []atom, s []byte) int {
	taken := 0
	for i := range atoms {
		a := &atoms[i]
		n := 0
		for n < a.max && taken+n < len(s) && a.set[s[taken+n]] {
			n++
		}
		if n < a.min {
			return -1
		}
		taken += n
	}
	return taken
}

// parseSimplePattern accepts ^ATOM*$ where ATOM is a literal, an escape (\d,
// \., \-) or a class ([A-Z], [0-9a-fA-F], [A-B]) with an optional quantifier
// (?, {n}, {n,m}, optionally followed by the lazy marker ?, which does not
// change a full match). It reports false for anything else.
func parseSimplePattern(p string) ([]atom, bool) {
	if len(p) < 2 || p[0] != '^' || p[len(p)-1] != '$' {
		return nil, false
	}
	body := p[1 : len(p)-1]
	var atoms []atom
	for i := 0; i < len(body); {
		a, next, ok := parseAtom(body, i, false)
		if !ok {
			return nil, false
		}
		atoms = append(atoms, a)
		i = next
	}
	return atoms, true
}

// parseAtom parses the atom of a pattern body at i and its quantifier (see
// parseSimplePattern), and returns the offset after them. With plus, it
// also takes the quantifiers + and *.
func parseAtom(body string, i int, plus bool) (atom, int, bool) {
	var a atom
	switch c := body[i]; {
	case c == '\\':
		if i+1 >= len(body) {
			return a, 0, false
		}
		switch e := body[i+1]; {
		case e == 'd':
			for d := '0'; d <= '9'; d++ {
				a.set[d] = true
			}
		case e == '.' || e == '-' || e == '\\' || e == '/' || e == '+':
			a.set[e] = true
		default:
			return a, 0, false
		}
		i += 2
	case c == '[':
		j := i + 1
		if j < len(body) && body[j] == '^' {
			return a, 0, false
		}
		for j < len(body) && body[j] != ']' {
			lo := body[j]
			if lo == '\\' {
				return a, 0, false
			}
			if j+2 < len(body) && body[j+1] == '-' && body[j+2] != ']' {
				for x := int(lo); x <= int(body[j+2]); x++ {
					a.set[x] = true
				}
				j += 3
			} else {
				a.set[lo] = true
				j++
			}
		}
		if j >= len(body) {
			return a, 0, false
		}
		i = j + 1
	case c == '(' || c == ')' || c == '|' || c == '*' || c == '+' || c == '.' || c == '{' || c == '?' || c >= 0x80:
		return a, 0, false
	default:
		a.set[c] = true
		i++
	}
	a.min, a.max = 1, 1
	if i < len(body) {
		switch body[i] {
		case '?':
			a.min, a.max = 0, 1
			i++
		case '{':
			j := i + 1
			for j < len(body) && body[j] != '}' {
				j++
			}
			if j >= len(body) {
				return a, 0, false
			}
			lo, hi, ok := parseCount(body[i+1 : j])
			if !ok {
				return a, 0, false
			}
			a.min, a.max = lo, hi
			i = j + 1
			if i < len(body) && body[i] == '?' { // lazy: same full-match language
				i++
			}
		case '+', '*':
			if !plus {
				break
			}
			a.min, a.max = 0, math.MaxInt
			if body[i] == '+' {
				a.min = 1
			}
			i++
			if i < len(body) && body[i] == '?' { // lazy: same full-match language
				i++
			}
		}
	}
	return a, i, true
}

// maxAlternatives bounds the sequences a pattern with groups expands to.
const maxAlternatives = 16

// parseAlternatives accepts ^…$ made of parseAtom's atoms (with + and *)
// and of groups of alternatives, (A|B) or ((IF|REP)-)?, optional or not,
// and expands it into the atom sequences it is the union of: a string
// matches the pattern exactly when it matches one of them in full. It
// reports false for anything else or for more than maxAlternatives
// sequences.
func parseAlternatives(p string) ([][]atom, bool) {
	if len(p) < 2 || p[0] != '^' || p[len(p)-1] != '$' {
		return nil, false
	}
	body := p[1 : len(p)-1]
	seqs, i, ok := parseSequence(body, 0, 0)
	if !ok || i != len(body) {
		return nil, false
	}
	return seqs, true
}

// parseSequence parses body from i up to its end, a '|' or a ')', and
// returns the atom sequences it expands to and the offset where it stopped.
func parseSequence(body string, i, depth int) ([][]atom, int, bool) {
	seqs := [][]atom{nil}
	for i < len(body) && body[i] != '|' && body[i] != ')' {
		var item [][]atom // the ways through the next atom or group
		if body[i] == '(' {
			if depth >= 4 || i+1 < len(body) && body[i+1] == '?' { // (?:…), flags
				return nil, 0, false
			}
			i++
			for {
				alt, next, ok := parseSequence(body, i, depth+1)
				if !ok || next >= len(body) {
					return nil, 0, false
				}
				item = append(item, alt...)
				i = next + 1
				if body[next] == ')' {
					break
				}
			}
			if i < len(body) {
				switch body[i] {
				case '?':
					item = append(item, nil)
					i++
				case '*', '+', '{':
					return nil, 0, false
				}
			}
		} else {
			a, next, ok := parseAtom(body, i, true)
			if !ok {
				return nil, 0, false
			}
			item = [][]atom{{a}}
			i = next
		}
		var product [][]atom
		for _, s := range seqs {
			for _, t := range item {
				product = append(product, append(append([]atom(nil), s...), t...))
			}
		}
		if len(product) > maxAlternatives {
			return nil, 0, false
		}
		seqs = product
	}
	return seqs, i, true
}

func parseCount(s string) (int, int, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ',' {
			lo, err1 := strconv.Atoi(s[:i])
			hi, err2 := strconv.Atoi(s[i+1:])
			return lo, hi, err1 == nil && err2 == nil && lo <= hi
		}
	}
	n, err := strconv.Atoi(s)
	return n, n, err == nil
}
