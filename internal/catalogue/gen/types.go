package main

import (
	"fmt"
	"slices"
	"strings"
)

// marketTypes are contract data types whose values the market vocabulary
// already types: fields of these types are declared with them, so that a
// service reads and writes an effective date as a market.DateTime, energy as
// market.Energy and a segment as market.MarketSegment.
var marketTypes = map[string]string{
	"DT-002-MPAN":                      "market.MPAN",
	"DT-002N-MPAN":                     "market.MPAN",
	"DT-003-DateTime":                  "market.DateTime",
	"DT-003N-DateTime":                 "market.DateTime",
	"DT-016-Decimal-9-3":               "market.Energy",
	"DT-016N-Decimal-9-3":              "market.Energy",
	"DI-015-Connection-Type-Indicator": "market.ConnectionType",
	"DI-033-Energisation-Status":       "market.EnergisationStatus",
	"DI-037-GSP-Group-ID":              "market.GSPGroup",
	"DI-039-Load-Shape-GSP-Group-ID":   "market.GSPGroup",
	"DI-050-Market-Segment-Indicator":  "market.MarketSegment",
	"DI-052-Measurement-Quantity-ID":   "market.MeasurementQuantity",
}

// enumNames name the catalogue's own types for the contract's other
// enumerations. Several data types share one Go type where their values are
// the same set (the generator checks it).
var enumNames = map[string]string{
	"DI-017-Consent-Granularity":                        "ConsentGranularity",
	"DI-838-Supplier-Proposed-Consent-Granularity":      "ConsentGranularity",
	"DI-025-DCC-Service-Flag":                           "DCCServiceFlag",
	"DI-031-Load-Shape-Domestic-Premise-Indicator":      "DomesticIndicator",
	"DI-035-Energy-Direction":                           "EnergyDirection",
	"DI-151-Linked-MPAN-Energy-Direction":               "EnergyDirection",
	"DI-485-DUoS-Tariff-Energy-Direction":               "EnergyDirection",
	"DI-059-Meter-Type":                                 "MeterType",
	"DI-076-Estimation-Reason-Code":                     "EstimationReason",
	"DI-080-Consumption-Component-Indicator":            "ConsumptionComponent",
	"DI-083-Settlement-Period-Quality-Indicator":        "Quality",
	"DI-090-Meter-Location":                             "MeterLocation",
	"DI-094-Reading-Method":                             "ReadingMethod",
	"DI-096-Site-Visit-Check-Code":                      "SiteVisitCheck",
	"DI-097-Failure-Energise-De-Energise-Reason-Code":   "EnergisationFailureReason",
	"DI-126-Traditional-Fall-Back-Read-Frequency":       "ReadFrequency",
	"DI-130-RMP-Status":                                 "RMPStatus",
	"DI-131-MP-Status":                                  "MPStatus",
	"DI-137-IHD-Install-Status":                         "IHDStatus",
	"DI-150-Annual-Consumption-Quality-Indicator":       "AnnualConsumptionQuality",
	"DI-154-Default-Load-Shape-Flag":                    "LoadShapeFlag",
	"DI-160-Settlement-Code":                            "SettlementRun",
	"DI-166-Supplier-Consumption-Amendment-Reason-Code": "AmendmentReason",
	"DI-195-Comms-Hub-Activity":                         "CommsHubActivity",
	"DI-580-LDSO-Billing-Invoice-Type":                  "LDSOInvoiceType",
	"DI-585-Site-Specific-DUoS-Invoice-Type":            "DUoSInvoiceType",
	"DI-596-Charge-Type":                                "ChargeType",
	"DI-601-VAT-Rate-Code":                              "VATRate",
	"DI-605-Charge-Band":                                "ChargeBand",
	"DI-800-Appointment-Scenario":                       "AppointmentScenario",
	"DI-819-De-Appointment-Reason-Code":                 "DeAppointmentReason",
	"DI-979-Response-Code":                              "ResponseCode",
	"DT-013-EnvironmentTag":                             "Environment",
}

// enumDocs describe the values the public record explains (reference
// mhhs-domain.md §5b and the Interface Catalogue's data items); the others
// are the contract's codes without a published meaning.
var enumDocs = map[string]map[string]string{
	"AppointmentScenario": {
		"COS": "change of supplier", "CSP": "change of service provider", "USP": "update of the existing appointment",
		"SEG": "change of segment", "MCA": "migration change of agent", "MCS": "migration change of supplier", "ALG": "auto-alignment",
	},
	"DeAppointmentReason": {
		"CSUPP": "change of supplier", "CSERV": "change of service provider", "DEREG": "the registration was terminated by CSS",
		"CSEGM": "change of segment", "CCONN": "change of connection type", "IMPEXP": "linked import/export change", "RELATED": "related MPAN change",
	},
	"ResponseCode": {"A": "accepted", "R": "rejected", "L": "lapsed", "W": "withdrawn (meaning unconfirmed)", "x": "a stray value the contract's enumeration carries; L2 refuses it"},
	"ConsentGranularity": {
		"H": "half-hourly consent granted", "D": "daily consent granted", "M": "monthly reads only", "N": "no consent",
		"x": "a stray value the contract's enumeration carries",
	},
	"ReadFrequency": {"W": "weekly", "F": "fortnightly", "M": "monthly", "Q": "quarterly", "S": "six-monthly", "A": "annual",
		"x": "a stray value the contract's enumeration carries"},
	"EnergyDirection":   {"I": "import", "E": "export"},
	"DomesticIndicator": {"T": "domestic", "F": "non-domestic"},
	"DCCServiceFlag":    {"A": "active", "I": "installed, not commissioned", "N": "non-active"},
	"Quality":           {"A": "actual", "E": "estimated"},
	"SettlementRun": {"II": "interim information", "SF": "settlement final", "R1": "first reconciliation", "R2": "second reconciliation",
		"R3": "third reconciliation", "RF": "final reconciliation", "DR": "dispute run", "DF": "dispute final"},
	"Environment": {"PRD": "production", "SIT": "system integration test", "SITB": "system integration test B", "UIT": "user integration test", "DEV": "development"},
}

// enumType is one generated enumeration.
type enumType struct {
	name   string
	refs   []string
	values []string
}

// enums collects the generated enumerations, checking that data types
// sharing a Go type have the same values.
func (g *gen) enums() ([]enumType, error) {
	byName := map[string]*enumType{}
	for _, ref := range sortedKeys(enumNames) {
		name := enumNames[ref]
		dt, ok := g.c.DataTypes[ref]
		if !ok {
			return nil, fmt.Errorf("enum %s: no data type %s in the contract", name, ref)
		}
		raw, ok := dt["enum"].([]any)
		if !ok {
			return nil, fmt.Errorf("enum %s: data type %s has no enum", name, ref)
		}
		vals := anyStrings(raw)
		e, ok := byName[name]
		if !ok {
			e = &enumType{name: name, values: vals}
			byName[name] = e
		} else {
			a, b := slices.Clone(e.values), slices.Clone(vals)
			slices.Sort(a)
			slices.Sort(b)
			if !slices.Equal(a, b) {
				return nil, fmt.Errorf("enum %s: %s has values %v, another data type %v", name, ref, vals, e.values)
			}
		}
		e.refs = append(e.refs, ref)
	}
	for ref, dt := range g.c.DataTypes {
		if _, ok := dt["enum"]; !ok || marketTypes[ref] != "" || enumNames[ref] != "" {
			continue
		}
		switch ref {
		case "DT-000-InterfaceID", "DIPStatusValue": // S0 is written by hand; journal statuses stay strings
			continue
		}
		return nil, fmt.Errorf("data type %s is an enumeration with no Go type: add it to enumNames", ref)
	}
	var out []enumType
	for _, name := range sortedKeys(byName) {
		e := byName[name]
		slices.Sort(e.refs)
		out = append(out, *e)
	}
	return out, nil
}

// constName names an enumeration value: the type's name and the value's
// letters and digits ("AppointmentScenarioCOS", "QualityE1").
func constName(typ, value string) string {
	v := nonIdent.ReplaceAllString(value, "")
	if v != "" && v[0] >= 'a' && v[0] <= 'z' {
		v = strings.ToUpper(v[:1]) + v[1:]
	}
	return typ + v
}

func (g *gen) writeEnums(b *strings.Builder, es []enumType) error {
	for _, e := range es {
		fmt.Fprintf(b, "// %s is a value of the contract's %s.\ntype %s string\n\n", e.name, strings.Join(e.refs, ", "), e.name)
		fmt.Fprintf(b, "// Values of %s.\nconst (\n", e.name)
		seen := map[string]string{}
		for _, v := range e.values {
			cn := constName(e.name, v)
			if prev, ok := seen[cn]; ok {
				return fmt.Errorf("enum %s: values %q and %q both name %s", e.name, prev, v, cn)
			}
			seen[cn] = v
			doc := ""
			if d, ok := enumDocs[e.name][v]; ok {
				doc = " // " + d
			}
			fmt.Fprintf(b, "%s %s = %q%s\n", cn, e.name, v, doc)
		}
		b.WriteString(")\n\n")
		fmt.Fprintf(b, "// Valid reports whether v is one of the contract's values.\nfunc (v %s) Valid() bool {\nswitch v {\ncase ", e.name)
		for i, v := range e.values {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(constName(e.name, v))
		}
		b.WriteString(":\nreturn true\n}\nreturn false\n}\n\n")
	}
	return nil
}
