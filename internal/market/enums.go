package market

import "fmt"

// MarketSegment is the market segment of a metering point.
type MarketSegment string

// The market segments.
const (
	SegmentSmart     MarketSegment = "S" // smart and traditional metering
	SegmentAdvanced  MarketSegment = "A" // advanced metering
	SegmentUnmetered MarketSegment = "U" // unmetered supplies
)

// ParseMarketSegment parses a market segment code. It returns ErrCode for
// anything but "S", "A" or "U".
func ParseMarketSegment(s string) (MarketSegment, error) {
	v := MarketSegment(s)
	if !v.Valid() {
		return "", fmt.Errorf("market: market segment %s: %w", quote(s), ErrCode)
	}
	return v, nil
}

// Valid reports whether v is a market segment.
func (v MarketSegment) Valid() bool {
	return v == SegmentSmart || v == SegmentAdvanced || v == SegmentUnmetered
}

// DataServiceRole returns the data service role serving segment v (SDS,
// ADS or UMSDS), or "" if v is not valid.
func (v MarketSegment) DataServiceRole() Role {
	switch v {
	case SegmentSmart:
		return RoleSDS
	case SegmentAdvanced:
		return RoleADS
	case SegmentUnmetered:
		return RoleUMSDS
	}
	return ""
}

// MeteringServiceRole returns the metering service role serving segment v
// (MSS, MSA or UMSO), or "" if v is not valid.
func (v MarketSegment) MeteringServiceRole() Role {
	switch v {
	case SegmentSmart:
		return RoleMSS
	case SegmentAdvanced:
		return RoleMSA
	case SegmentUnmetered:
		return RoleUMSO
	}
	return ""
}

// EnergisationStatus is the energisation status of a metering point.
type EnergisationStatus string

// The energisation statuses.
const (
	Energised           EnergisationStatus = "E"
	DeEnergised         EnergisationStatus = "D"
	EnergisationUnknown EnergisationStatus = "U" // meaning unverified: probably unknown or unset
)

// ParseEnergisationStatus parses an energisation status code. It returns
// ErrCode for anything but "E", "D" or "U".
func ParseEnergisationStatus(s string) (EnergisationStatus, error) {
	v := EnergisationStatus(s)
	if !v.Valid() {
		return "", fmt.Errorf("market: energisation status %s: %w", quote(s), ErrCode)
	}
	return v, nil
}

// Valid reports whether v is an energisation status.
func (v EnergisationStatus) Valid() bool {
	return v == Energised || v == DeEnergised || v == EnergisationUnknown
}

// ConnectionType is the connection type indicator of a metering point.
type ConnectionType string

// The connection types.
const (
	ConnectionWholeCurrent ConnectionType = "W" // whole current
	ConnectionLVCT         ConnectionType = "L" // low voltage with current transformers
	ConnectionHVCT         ConnectionType = "H" // high voltage with current transformers
	ConnectionEHVCT        ConnectionType = "E" // extra high voltage with current transformers
	ConnectionUnmetered    ConnectionType = "U" // unmetered
)

// ParseConnectionType parses a connection type indicator. It returns
// ErrCode for anything but "W", "L", "H", "E" or "U".
func ParseConnectionType(s string) (ConnectionType, error) {
	v := ConnectionType(s)
	if !v.Valid() {
		return "", fmt.Errorf("market: connection type %s: %w", quote(s), ErrCode)
	}
	return v, nil
}

// Valid reports whether v is a connection type.
func (v ConnectionType) Valid() bool {
	switch v {
	case ConnectionWholeCurrent, ConnectionLVCT, ConnectionHVCT, ConnectionEHVCT, ConnectionUnmetered:
		return true
	}
	return false
}

// MeasurementQuantity is a measurement quantity id: active or reactive
// energy, import or export.
type MeasurementQuantity string

// The measurement quantities.
const (
	ActiveImport   MeasurementQuantity = "AI"
	ActiveExport   MeasurementQuantity = "AE"
	ReactiveImport MeasurementQuantity = "RI"
	ReactiveExport MeasurementQuantity = "RE"
)

// ParseMeasurementQuantity parses a measurement quantity id. It returns
// ErrCode for anything but "AI", "AE", "RI" or "RE".
func ParseMeasurementQuantity(s string) (MeasurementQuantity, error) {
	v := MeasurementQuantity(s)
	if !v.Valid() {
		return "", fmt.Errorf("market: measurement quantity %s: %w", quote(s), ErrCode)
	}
	return v, nil
}

// Valid reports whether v is a measurement quantity.
func (v MeasurementQuantity) Valid() bool {
	switch v {
	case ActiveImport, ActiveExport, ReactiveImport, ReactiveExport:
		return true
	}
	return false
}

// IsActive reports whether v is active energy (AI or AE).
func (v MeasurementQuantity) IsActive() bool {
	return v == ActiveImport || v == ActiveExport
}

// IsImport reports whether v is import (AI or RI).
func (v MeasurementQuantity) IsImport() bool {
	return v == ActiveImport || v == ReactiveImport
}

// Unit returns the unit of the wire values of v: "kWh" for active energy,
// "kVArh" for reactive energy, "" if v is not valid.
func (v MeasurementQuantity) Unit() string {
	switch {
	case !v.Valid():
		return ""
	case v.IsActive():
		return "kWh"
	default:
		return "kVArh"
	}
}
