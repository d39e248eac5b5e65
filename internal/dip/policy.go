package dip

import (
	"math"
	"time"
)

// RetryPolicy governs redelivery. The public record gives no retry count,
// back-off or pause rule (reference §2d); these defaults are mhhs's and are
// configuration.
type RetryPolicy struct {
	MaxAttempts int           // attempts before RetriesExhausted (default 12)
	BaseDelay   time.Duration // first retry delay (default 2 s)
	MaxDelay    time.Duration // cap (default 15 min)
	Jitter      float64       // ± fraction of the delay (default 0.2)
	PauseAfter  int           // a recipient's consecutive failures before it is Paused (default 25)
}

// DefaultRetryPolicy returns the documented defaults: with them a message is
// retried for about an hour before it is exhausted.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 12, BaseDelay: 2 * time.Second, MaxDelay: 15 * time.Minute, Jitter: 0.2, PauseAfter: 25}
}

// Delay returns the wait after the given failed attempt (1 = the first),
// exponential with jitter; u is a uniform random number in [0,1).
func (p RetryPolicy) Delay(attempt int, u float64) time.Duration {
	d := float64(p.BaseDelay) * math.Pow(2, float64(attempt-1))
	if d > float64(p.MaxDelay) || math.IsInf(d, 0) {
		d = float64(p.MaxDelay)
	}
	d *= 1 + p.Jitter*(2*u-1)
	return time.Duration(d)
}
