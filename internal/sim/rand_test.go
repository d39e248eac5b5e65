package sim

import (
	"math"
	"testing"
)

func TestExp(t *testing.T) {
	for x := -20.0; x <= 21; x += 0.0137 {
		got := float64(exp(int64(x*(1<<32)))) / (1 << 32)
		want := math.Exp(x)
		if tol := want*1e-8 + 1.0/(1<<32); math.Abs(got-want) > tol {
			t.Fatalf("exp(%v) = %v, want %v", x, got, want)
		}
	}
	if got := exp(40 << 32); got != 1<<63 {
		t.Errorf("exp(40) = %d, want saturation at 2^31", got)
	}
	if got := exp(-40 << 32); got != 0 {
		t.Errorf("exp(-40) = %d, want 0", got)
	}
}

func TestPoisson(t *testing.T) {
	for _, lam := range []float64{0, 0.05, 0.4, 3, 11} {
		r := stream(1, 2, uint64(lam*100))
		const n = 200_000
		var sum, sq float64
		for range n {
			k := float64(poisson(&r, uint64(lam*(1<<32))))
			sum += k
			sq += k * k
		}
		mean := sum / n
		vr := sq/n - mean*mean
		if tol := 5*math.Sqrt(lam/n) + 1e-9; math.Abs(mean-lam) > tol {
			t.Errorf("λ=%v: mean %v", lam, mean)
		}
		if math.Abs(vr-lam) > 0.03*lam+1e-9 {
			t.Errorf("λ=%v: variance %v", lam, vr)
		}
	}
}

func TestStreamsDiffer(t *testing.T) {
	seen := map[uint64]bool{}
	for tag := range uint64(4) {
		for i := range uint64(1000) {
			r := stream(7, tag, i)
			v := r.next()
			if seen[v] {
				t.Fatalf("stream(7, %d, %d) repeats a first draw", tag, i)
			}
			seen[v] = true
		}
	}
}

func TestIntnUniform(t *testing.T) {
	r := stream(3, 4, 5)
	var counts [7]int
	const n = 70_000
	for range n {
		counts[r.intn(7)]++
	}
	for k, c := range counts {
		if math.Abs(float64(c)-n/7) > 5*math.Sqrt(n/7) {
			t.Errorf("intn(7) gave %d %d times of %d", k, c, n)
		}
	}
}
