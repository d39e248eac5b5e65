package market

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"testing"
)

// refCheckDigit is an independent check digit: the weights are the primes
// from 3 to 43 without 11, found by trial division, and the remainders are
// taken by repeated subtraction.
func refCheckDigit(first12 string) int {
	var weights []int
	for n := 3; len(weights) < 12; n++ {
		prime := true
		for k := 2; k*k <= n; k++ {
			if n%k == 0 {
				prime = false
			}
		}
		if prime && n != 11 {
			weights = append(weights, n)
		}
	}
	sum := 0
	for i, r := range first12 {
		sum += weights[i] * int(r-'0')
	}
	for sum >= 11 {
		sum -= 11
	}
	if sum == 10 {
		sum = 0
	}
	return sum
}

func TestParseMPAN(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"1200023305967", nil},
		{"1100000000017", nil}, // sum 51, mod 11 = 7
		{"2300000000000", nil}, // sum 59, mod 11 = 10, mod 10 = 0
		{"0000000000010", nil}, // sum 43, mod 11 = 10
		{"0000000000000", nil},
		{"1000000000003", nil},
		{"9999999999993", nil},
		{"1412345678901", nil},
		{"1100000000010", ErrMPANCheckDigit}, // check digit is 7, not 0
		{"1200023305968", ErrMPANCheckDigit},
		{"2300000000001", ErrMPANCheckDigit},
		{"", ErrMPANFormat},
		{"120002330596", ErrMPANFormat},
		{"12000233059670", ErrMPANFormat},
		{"12000233059 7", ErrMPANFormat},
		{"120002330596A", ErrMPANFormat},
		{" 1200023305967", ErrMPANFormat},
		{"+200023305967", ErrMPANFormat},
		{"１200023305967", ErrMPANFormat}, // full-width digit
	}
	for _, tt := range tests {
		got, err := ParseMPAN(tt.in)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("ParseMPAN(%q) error = %v, want %v", tt.in, err, tt.want)
			continue
		}
		if err == nil && string(got) != tt.in {
			t.Errorf("ParseMPAN(%q) = %q", tt.in, got)
		}
		if ValidMPAN(tt.in) != (tt.want == nil) {
			t.Errorf("ValidMPAN(%q) = %v", tt.in, !(tt.want == nil))
		}
	}
}

func TestMPANCheckDigitProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		prefix := fmt.Sprintf("%012d", r.Uint64N(1_000_000_000_000))
		c, err := MPANCheckDigit(prefix)
		if err != nil {
			t.Fatalf("MPANCheckDigit(%q): %v", prefix, err)
		}
		if want := byte('0' + refCheckDigit(prefix)); c != want {
			t.Fatalf("MPANCheckDigit(%q) = %c, reference %c", prefix, c, want)
		}
		if !ValidMPAN(prefix + string(c)) {
			t.Fatalf("ValidMPAN(%q) = false", prefix+string(c))
		}
		// Every other final digit is rejected as a check digit mismatch.
		wrong := byte('0' + (int(c-'0')+1+r.IntN(9))%10)
		if _, err := ParseMPAN(prefix + string(wrong)); !errors.Is(err, ErrMPANCheckDigit) {
			t.Fatalf("ParseMPAN(%q) error = %v, want ErrMPANCheckDigit", prefix+string(wrong), err)
		}
	}
}

func TestMPANCheckDigitFormat(t *testing.T) {
	for _, in := range []string{"", "12345678901", "1234567890123", "12345678901x", "-12345678901"} {
		if _, err := MPANCheckDigit(in); !errors.Is(err, ErrMPANFormat) {
			t.Errorf("MPANCheckDigit(%q) error = %v, want ErrMPANFormat", in, err)
		}
	}
}

func TestNewMPAN(t *testing.T) {
	tests := []struct {
		dist   int
		unique uint64
		want   MPAN
		err    error
	}{
		{12, 23305_96, "1200023305967", nil},
		{11, 1, "1100000000017", nil},
		{23, 0, "2300000000000", nil},
		{0, 1, "0000000000010", nil},
		{7, 42, "0700000000420", nil},
		{99, 9_999_999_999, "9999999999993", nil},
		{-1, 0, "", ErrMPANFormat},
		{100, 0, "", ErrMPANFormat},
		{10, 10_000_000_000, "", ErrMPANFormat},
	}
	for _, tt := range tests {
		got, err := NewMPAN(tt.dist, tt.unique)
		if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) || got != tt.want {
			t.Errorf("NewMPAN(%d, %d) = %q, %v; want %q, %v", tt.dist, tt.unique, got, err, tt.want, tt.err)
		}
		if err == nil && !ValidMPAN(string(got)) {
			t.Errorf("NewMPAN(%d, %d) = %q is not valid", tt.dist, tt.unique, got)
		}
	}
}

func TestMPANDistributorID(t *testing.T) {
	for in, want := range map[MPAN]string{"1200023305967": "12", "2300000000000": "23", "1": "", "": ""} {
		if got := in.DistributorID(); got != want {
			t.Errorf("MPAN(%q).DistributorID() = %q, want %q", in, got, want)
		}
	}
}

// mpanPattern is the wire form of an MPAN: thirteen ASCII digits.
var mpanPattern = regexp.MustCompile(`^[0-9]{13}$`)

func FuzzParseMPAN(f *testing.F) {
	for _, s := range []string{"1200023305967", "1100000000010", "", "12000233059670", "120002330596x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMPAN(s)
		wellFormed := mpanPattern.MatchString(s)
		switch {
		case err == nil:
			if string(m) != s || !wellFormed || int(s[12]-'0') != refCheckDigit(s[:12]) {
				t.Fatalf("ParseMPAN(%q) = %q, accepted wrongly", s, m)
			}
		case errors.Is(err, ErrMPANCheckDigit):
			if !wellFormed || int(s[12]-'0') == refCheckDigit(s[:12]) {
				t.Fatalf("ParseMPAN(%q) = %v, rejected wrongly", s, err)
			}
		case errors.Is(err, ErrMPANFormat):
			if wellFormed {
				t.Fatalf("ParseMPAN(%q) = %v, rejected wrongly", s, err)
			}
		default:
			t.Fatalf("ParseMPAN(%q) = %v, unexpected error", s, err)
		}
	})
}
