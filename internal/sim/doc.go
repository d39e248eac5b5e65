// Package sim is a synthetic GB electricity market, generated from a seed:
// the participants, the sites (MPANs) and their registrations, the
// half-hourly consumption of every site on every UTC settlement day with
// data-quality faults, the GSP group takes those sites add up to, and the
// business events that change registrations over time. Every service's
// tests, the benchmarks and mhhs demo run on it.
//
// It owns:
//
//   - Config, the one place where the market's shape is chosen, with
//     documented defaults; where the public record is silent (shares,
//     rates, load shapes) the default is an assumption and says so;
//   - Market (New): the participants of an isd.Dataset plus generated
//     ones for missing roles (Participants, Holders, Standing), keys on
//     demand (Key);
//   - sites by random access (Site): site i is computed from the seed and
//     i alone, so a market of 30 M MPANs is never held in memory;
//   - half-hourly values by random access (Daily, Fill, FillTrue,
//     FillDay): the 48 values of site i on date d are computed from the
//     seed, i and d alone, so any range of sites on any date can be
//     generated in any order and in parallel;
//   - GSP group takes for a range of sites (Takes);
//   - business events for a range of sites and dates (Events).
//
// Determinism: the same seed and Config give byte-identical output on any
// machine. Every draw comes from an integer generator seeded by hashing
// the seed with what is drawn (splitmix64 and wyrand); generation uses
// integer and fixed-point arithmetic only, because floating point may
// differ between architectures (fused multiply-adds, assembly math
// routines). Configuration floats are converted to integer thresholds
// once, in New. Nothing reads the clock, the global random source or map
// iteration order. The exceptions are the keys of Key, which come from
// crypto/rand and differ on every call.
//
// The package is domain code: no I/O (no files, network or database), no
// goroutines, no package-level mutable state and no init functions. It
// imports only the standard library, internal/market, internal/isd (the
// standing data the market is built on) and internal/signature (keys).
package sim
