// Package regs is the Registration Service's domain: the effective-dated
// registry of MPANs and the market processes that change it, as DIP
// messages in and out.
//
// It owns:
//
//   - Registration, everything REGS holds about one MPAN (reference
//     mhhs-domain.md §5a) as histories of values with the dates they apply
//     (market.History), with "as at" views (Registration.At) and a compact
//     JSON document form that stores keep one per MPAN;
//   - Engine, which decides an input against the registrations it
//     touches: a DIP message delivered to REGS (Receive), an event of the
//     Central Switching Service (CSS), a change the operator makes to the
//     data it maintains (Maintain), or the passing of time (Tick). Each
//     returns a Decision: the messages REGS sends (typed catalogue
//     payloads, stamped with references derived from the input so that
//     deciding it again gives byte-identical messages) and whether the
//     input was rejected, with its REG codes;
//   - Book, the small interface through which the Engine reads and writes
//     registrations, and Directory, which tells it the participants'
//     roles: the service implements both, the Book inside one store
//     transaction.
//
// The processes, their rules and rejection codes, the business processes
// of the 2022 seed (BP001–BP011) they implement, and the defaults chosen
// where the public record is silent are in docs/registration.md.
//
// The package does no I/O, starts no goroutine and reads no clock: time
// comes with the input. It imports only the standard library,
// internal/market and internal/catalogue.
package regs
