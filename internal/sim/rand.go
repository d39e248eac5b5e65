package sim

import "math/bits"

// Everything random in the simulation is drawn from integer generators
// seeded by hashing the Config seed with what is being drawn (a stream
// tag, a site index, a date). Draws use integer arithmetic only, so the
// output is the same on every machine: no floating point, whose fused
// multiply-adds and assembly math routines differ between architectures,
// and no shared generator whose order would depend on the caller.

// Stream tags keep the draws of different purposes independent.
const (
	tagCore     = 0x636f7265 // consumption-relevant site attributes
	tagPlace    = 0x706c6163 // GSP group, distributor, LLFC
	tagParties  = 0x70617274 // initial supplier and services
	tagEvents   = 0x65766e74 // business events
	tagDay      = 0x64617920 // half-hourly values of one date
	tagTake     = 0x74616b65 // GSP group take error
	tagMPAN     = 0x6d70616e // MPAN numbering
	tagRank     = 0x72616e6b // supplier market shares
	tagIdentity = 0x6964656e // generated participant ids
)

// mix is the splitmix64 finaliser: a bijection of uint64 that spreads every
// input bit over the output.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hash combines a and b into one well-mixed value.
func hash(a, b uint64) uint64 { return mix(a ^ mix(b+0x9e3779b97f4a7c15)) }

// rng is a wyrand generator: one addition and one 64×64→128-bit multiply
// per draw.
type rng struct{ s uint64 }

// stream returns the generator for purpose tag of item i under seed.
func stream(seed, tag, i uint64) rng { return rng{hash(hash(seed, tag), i)} }

// next returns 64 random bits.
func (r *rng) next() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// u32 returns 32 random bits.
func (r *rng) u32() uint64 { return r.next() >> 32 }

// intn returns a uniform integer in [0, n) by Lemire's multiply-shift; the
// bias is below n/2^64.
func (r *rng) intn(n uint64) uint64 {
	hi, _ := bits.Mul64(r.next(), n)
	return hi
}

// chance reports whether a draw falls below p, a probability scaled to
// 2^32 (see prob).
func (r *rng) chance(p uint64) bool { return r.u32() < p }

// prob converts a probability in [0, 1] to a threshold on 2^32: a 32-bit
// draw is below it with that probability. Only configuration passes
// through float64, once, when a Market is built.
func prob(p float64) uint64 {
	switch {
	case p <= 0:
		return 0
	case p >= 1:
		return 1 << 32
	}
	return uint64(p*(1<<32) + 0.5)
}

// q16 converts x to 16.16 fixed point, rounding half up.
func q16(x float64) uint64 { return uint64(x*(1<<16) + 0.5) }

// exp2Frac[i] is 2^(2^-(i+1)) in 2.62 fixed point, computed to 60 decimal
// digits.
var exp2Frac = [32]uint64{
	6521908912666391106, 5484249825272419512, 5029079263719320435, 4815862801830788490,
	4712668792719003884, 4661903986662671290, 4636727017470743990, 4624189567668517720,
	4617933561212708776, 4614808732577250068, 4613247111281068008, 4612466498810092975,
	4612076242109103707, 4611881126141011236, 4611783571252412754, 4611734794581956353,
	4611710406440186476, 4611698212417665819, 4611692115418496524, 4611689066921934630,
	4611687542674409371, 4611686780550835664, 4611686399489096040, 4611686208958238036,
	4611686113692811986, 4611686066060099699, 4611686042243743740, 4611686030335565807,
	4611686024381476851, 4611686021404432377, 4611686019915910140, 4611686019171649022,
}

// log2e is log2(e) in 32.32 fixed point.
const log2e = 6196328019

// exp returns e^x for x in 32.32 fixed point, as 32.32 fixed point,
// computed with integers only (2^(x·log2 e) as a power of two times a
// product of the factors 2^(2^-i) for the set bits of the fraction). Its
// relative error is below 1e-9 for |x| < 20; results of 2^32 or more
// saturate at 2^31.
func exp(x int64) uint64 {
	ax := uint64(x)
	if x < 0 {
		ax = uint64(-x)
	}
	hi, lo := bits.Mul64(ax, log2e)
	t := int64(hi<<32 | lo>>32) // x·log2 e in 32.32
	if x < 0 {
		t = -t
	}
	n := t >> 32         // floor of the exponent
	f := uint32(t)       // fraction of the exponent, 0.32
	r := uint64(1) << 62 // 2^f in 2.62
	for i := range 32 {
		if f&(1<<(31-i)) != 0 {
			hi, lo := bits.Mul64(r, exp2Frac[i])
			r = hi<<2 | lo>>62
		}
	}
	// r·2^n in 32.32 is r >> (30-n).
	switch s := 30 - n; {
	case s >= 64:
		return 0
	case s > 0:
		return (r + 1<<(s-1)) >> s
	case s >= -1:
		return r << -s
	}
	return 1 << 63
}
