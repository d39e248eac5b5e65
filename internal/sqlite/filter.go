package sqlite

import (
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
)

// keyFilter answers "may this key be in the set?" with no false negatives
// and few false positives: a scalable Bloom filter (a chain of Bloom filters,
// each twice the capacity of the one before, so it never needs rebuilding).
// The store keeps one over the MPANs of the parties table, so that the
// hub's routing lookup for an MPAN nobody has registered (most IF-021
// traffic in a test market, and every message of the intake benchmark)
// costs a few memory reads instead of a query. Each filter is sized for a
// 1% false-positive rate at capacity, so with k filters a lookup of an
// absent key is a false positive (and costs the query it would have cost
// anyway) with probability under k%: 9 filters hold 30 M keys from a first
// capacity of 64 Ki, for about 36 MB.
//
// add and mayContain are safe for concurrent use.
type keyFilter struct {
	seed maphash.Seed
	mu   sync.Mutex // serialises add
	all  atomic.Pointer[[]*bloom]
}

type bloom struct {
	bits     []atomic.Uint64
	k        uint64 // hash functions
	capacity int64
	n        atomic.Int64
}

const firstFilterCapacity = 64 << 10

func newKeyFilter() *keyFilter {
	f := &keyFilter{seed: maphash.MakeSeed()}
	f.all.Store(&[]*bloom{newBloom(firstFilterCapacity)})
	return f
}

// newBloom sizes a filter for capacity keys at a 1% false-positive rate:
// m = -n ln p / ln² 2 bits and k = (m/n) ln 2 hash functions.
func newBloom(capacity int64) *bloom {
	m := uint64(math.Ceil(-float64(capacity) * math.Log(0.01) / (math.Ln2 * math.Ln2)))
	words := (m + 63) / 64
	k := uint64(math.Round(float64(words*64) / float64(capacity) * math.Ln2))
	return &bloom{bits: make([]atomic.Uint64, words), k: max(k, 1), capacity: capacity}
}

// position derives the i-th of the k bit positions from one 64-bit hash
// (Kirsch and Mitzenmacher's double hashing).
func (b *bloom) position(h, i uint64) (word int, mask uint64) {
	h1, h2 := h&0xffffffff, h>>32|1
	bit := (h1 + i*h2) % (uint64(len(b.bits)) * 64)
	return int(bit / 64), 1 << (bit % 64)
}

func (b *bloom) add(h uint64) {
	for i := range b.k {
		w, mask := b.position(h, i)
		b.bits[w].Or(mask)
	}
	b.n.Add(1)
}

func (b *bloom) has(h uint64) bool {
	for i := range b.k {
		w, mask := b.position(h, i)
		if b.bits[w].Load()&mask == 0 {
			return false
		}
	}
	return true
}

func (f *keyFilter) hash(key string) uint64 { return maphash.String(f.seed, key) }

// add puts key in the set.
func (f *keyFilter) add(key string) {
	h := f.hash(key)
	f.mu.Lock()
	defer f.mu.Unlock()
	all := *f.all.Load()
	last := all[len(all)-1]
	if last.has(h) {
		return // counting it again would fill the filter early
	}
	if last.n.Load() >= last.capacity {
		last = newBloom(2 * last.capacity)
		grown := append(all[:len(all):len(all)], last)
		f.all.Store(&grown)
	}
	last.add(h)
}

// mayContain reports whether key may be in the set; false is certain.
func (f *keyFilter) mayContain(key string) bool {
	h := f.hash(key)
	for _, b := range *f.all.Load() {
		if b.has(h) {
			return true
		}
	}
	return false
}
