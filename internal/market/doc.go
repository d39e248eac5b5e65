// Package market is the vocabulary of Great Britain's Market-wide
// Half-Hourly Settlement: the identifiers, codes, dates, periods, energy
// quantities and effective-dated values that every other mhhs package
// speaks.
//
// It owns:
//
//   - MPAN cores and their check digit (MPAN, ParseMPAN, NewMPAN);
//   - participant identifiers and role codes (DIPID, MPID, Role);
//   - GSP groups and the standard distributor areas (GSPGroup);
//   - the small code lists carried in interface messages
//     (MarketSegment, EnergisationStatus, ConnectionType,
//     MeasurementQuantity);
//   - civil dates (SettlementDate), the 48 half-hour periods of a UTC
//     settlement day, the 46, 48 or 50 clock periods of a local
//     (Europe/London) day and the mapping between the two;
//   - the wire date-time form (ParseDateTime, FormatDateTime) and local
//     clock midnight effective dates (LocalMidnight);
//   - the England and Wales working-day calendar (Calendar);
//   - energy as an integer number of watt-hours (Energy) with the exact
//     three-decimal kWh wire form;
//   - effective-dated ranges and histories (Range, History).
//
// The package is pure domain code: no I/O, no package-level mutable state
// and no init functions. It imports only the standard library; time/tzdata
// is embedded so that Europe/London resolves on any machine.
package market
