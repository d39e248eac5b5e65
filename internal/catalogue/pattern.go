package catalogue

import (
	"regexp"
	"strconv"
)

// matcher tests a string against a contract pattern. Most contract patterns
// are anchored sequences of character classes with counts (^-?\d{1,9}\.\d{3}$);
// those compile to a small backtracking matcher that needs no allocation. Any
// other pattern falls back to regexp. FuzzPatternMatcher checks that both
// agree on every contract pattern.
type matcher struct {
	atoms []atom
	re    *regexp.Regexp
}

type atom struct {
	set      [256]bool // bytes the atom accepts (patterns are ASCII)
	min, max int
}

func compilePattern(p string) (*matcher, error) {
	if atoms, ok := parseSimplePattern(p); ok {
		return &matcher{atoms: atoms}, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	return &matcher{re: re}, nil
}

func (m *matcher) match(s []byte) bool {
	if m.re != nil {
		return m.re.Match(s)
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
		var a atom
		switch c := body[i]; {
		case c == '\\':
			if i+1 >= len(body) {
				return nil, false
			}
			switch e := body[i+1]; {
			case e == 'd':
				for d := '0'; d <= '9'; d++ {
					a.set[d] = true
				}
			case e == '.' || e == '-' || e == '\\' || e == '/' || e == '+':
				a.set[e] = true
			default:
				return nil, false
			}
			i += 2
		case c == '[':
			j := i + 1
			if j < len(body) && body[j] == '^' {
				return nil, false
			}
			for j < len(body) && body[j] != ']' {
				lo := body[j]
				if lo == '\\' {
					return nil, false
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
				return nil, false
			}
			i = j + 1
		case c == '(' || c == ')' || c == '|' || c == '*' || c == '+' || c == '.' || c == '{' || c == '?' || c >= 0x80:
			return nil, false
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
					return nil, false
				}
				lo, hi, ok := parseCount(body[i+1 : j])
				if !ok {
					return nil, false
				}
				a.min, a.max = lo, hi
				i = j + 1
				if i < len(body) && body[i] == '?' { // lazy: same full-match language
					i++
				}
			}
		}
		atoms = append(atoms, a)
	}
	return atoms, true
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
