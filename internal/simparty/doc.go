// Package simparty is the market's simulated parties as DIP participants on
// the seam (internal/participant): a supplier and an LDSO that receive what
// the DIP routes to them, record it durably and answer like a real
// participant. They run inside mhhs serve (--services sim-supplier,sim-ldso)
// or as their own processes (mhhs service sim-supplier), unchanged, and are
// the counterparties of the demo and of the services' end-to-end tests.
//
// Each delivery's effect (its count, and for IF-021 the energy it adds to
// the MPAN's total) is applied exactly once: the store's inbox keys it by
// the DIP's transaction id, so a redelivery after a crash changes nothing.
//
// It imports the standard library, internal/market, internal/catalogue,
// internal/participant, internal/sim (the simulated market it plays) and
// internal/regs (the registrations REGS starts the simulated market with).
package simparty
