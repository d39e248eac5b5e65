package sqlite

import (
	"strconv"
	"testing"
)

// TestKeyFilter: every key added is found, across the growth of the chain,
// and absent keys are rarely reported as present.
func TestKeyFilter(t *testing.T) {
	f := newKeyFilter()
	const n = 5 * firstFilterCapacity // three filters in the chain
	for i := range n {
		f.add("1" + strconv.Itoa(1e11+2*i))
	}
	if chain := len(*f.all.Load()); chain != 3 {
		t.Errorf("%d filters for %d keys from a first capacity of %d, want 3", chain, n, firstFilterCapacity)
	}
	for i := range n {
		if k := "1" + strconv.Itoa(1e11+2*i); !f.mayContain(k) {
			t.Fatalf("added key %s not found", k)
		}
	}
	fp := 0
	for i := range n {
		if f.mayContain("1" + strconv.Itoa(1e11+2*i+1)) {
			fp++
		}
	}
	// Each of the 3 filters errs on about 1% of absent keys.
	if rate := float64(fp) / n; rate > 0.04 {
		t.Errorf("false-positive rate %.3f over %d absent keys, want under 0.04", rate, n)
	}
}
