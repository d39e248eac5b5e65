package dip

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestDefaultRetryPolicy: the defaults are the ones docs/routing.md
// documents.
func TestDefaultRetryPolicy(t *testing.T) {
	want := RetryPolicy{MaxAttempts: 12, BaseDelay: 2 * time.Second, MaxDelay: 15 * time.Minute, Jitter: 0.2, PauseAfter: 25}
	if got := DefaultRetryPolicy(); got != want {
		t.Errorf("DefaultRetryPolicy() = %+v, want %+v", got, want)
	}
}

// TestRetryDelay: without jitter the wait doubles from BaseDelay per failed
// attempt and stops growing at MaxDelay, however many attempts failed
// (2^attempt overflows a float64 long before the attempts run out).
func TestRetryDelay(t *testing.T) {
	p := RetryPolicy{BaseDelay: 2 * time.Second, MaxDelay: 15 * time.Minute}
	for _, tt := range []struct {
		attempt int
		want    time.Duration
	}{
		{1, 2 * time.Second},
		{2, 4 * time.Second},
		{3, 8 * time.Second},
		{4, 16 * time.Second},
		{9, 512 * time.Second},
		{10, 15 * time.Minute}, // 1024 s, capped
		{11, 15 * time.Minute},
		{64, 15 * time.Minute},
		{2000, 15 * time.Minute}, // 2^1999 is +Inf
	} {
		for _, u := range []float64{0, 0.5, 0.999} { // Jitter 0: u does not matter
			if got := p.Delay(tt.attempt, u); got != tt.want {
				t.Errorf("Delay(%d, %v) = %v, want %v", tt.attempt, u, got, tt.want)
			}
		}
	}
}

// TestRetryDelayJitter: the jitter moves the wait by at most ±Jitter of
// the (capped) delay, u=0 gives the shortest wait, u=0.5 none, and the
// spread is used, not only its middle.
func TestRetryDelayJitter(t *testing.T) {
	p := RetryPolicy{BaseDelay: 2 * time.Second, MaxDelay: 15 * time.Minute, Jitter: 0.2}
	exact := []struct {
		attempt int
		u       float64
		want    time.Duration
	}{
		{1, 0, 1600 * time.Millisecond},
		{1, 0.5, 2 * time.Second},
		{1, 0.75, 2200 * time.Millisecond},
		{3, 0, 6400 * time.Millisecond},
		{40, 0, 12 * time.Minute}, // the cap, jittered
		{40, 0.5, 15 * time.Minute},
	}
	for _, tt := range exact {
		if got := p.Delay(tt.attempt, tt.u); got != tt.want {
			t.Errorf("Delay(%d, %v) = %v, want %v", tt.attempt, tt.u, got, tt.want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for attempt := 1; attempt <= 30; attempt++ {
		base := RetryPolicy{BaseDelay: p.BaseDelay, MaxDelay: p.MaxDelay}.Delay(attempt, 0)
		lo, hi := time.Duration(float64(base)*0.8), time.Duration(float64(base)*1.2)
		var min, max time.Duration
		for i := range 200 {
			d := p.Delay(attempt, r.Float64())
			if d < lo || d > hi {
				t.Fatalf("Delay(%d) = %v, outside [%v, %v]", attempt, d, lo, hi)
			}
			if i == 0 || d < min {
				min = d
			}
			if d > max {
				max = d
			}
		}
		// 200 draws spread over most of the ±20% band.
		if float64(max-min) < 0.3*float64(base) {
			t.Errorf("attempt %d: waits only from %v to %v", attempt, min, max)
		}
	}
}

// TestRetryDelayNeverExceedsTheJitteredCap: whatever the attempt, a wait
// is at most MaxDelay plus its jitter. (docs/routing.md calls MaxDelay
// the "longest retry delay"; the jitter is applied after the cap, so the
// longest wait is MaxDelay·(1+Jitter): 18 min with the defaults.)
func TestRetryDelayNeverExceedsTheJitteredCap(t *testing.T) {
	p := DefaultRetryPolicy()
	ceiling := time.Duration(float64(p.MaxDelay) * (1 + p.Jitter))
	for attempt := 1; attempt <= 10_000; attempt *= 3 {
		if d := p.Delay(attempt, 0.999999); d > ceiling || d <= 0 {
			t.Errorf("Delay(%d) = %v, want (0, %v]", attempt, d, ceiling)
		}
	}
}
