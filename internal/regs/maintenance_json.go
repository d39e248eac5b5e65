package regs

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/mhhs/mhhs/internal/market"
)

// maintenanceJSON is the stored form of a Maintenance: its change as a
// kind and the change's own JSON.
type maintenanceJSON struct {
	ID     string                `json:"id"`
	At     time.Time             `json:"at"`
	MPAN   market.MPAN           `json:"mpan"`
	From   market.SettlementDate `json:"from"`
	Kind   string                `json:"kind"`
	Change json.RawMessage       `json:"change"`
}

func kindOf(c Change) (string, bool) {
	switch c.(type) {
	case NewConnection:
		return "new-connection", true
	case AddressChange:
		return "address", true
	case GSPChange:
		return "gsp", true
	case DUoSTariffChange:
		return "duos-tariff", true
	case EnergyDirectionChange:
		return "energy-direction", true
	case DomesticChange:
		return "domestic", true
	case DCCChange:
		return "dcc", true
	case MeteredChange:
		return "metered", true
	case ConnectionTypeChange:
		return "connection-type", true
	case Disconnection:
		return "disconnection", true
	case Reconnection:
		return "reconnection", true
	case GreenDealChange:
		return "green-deal", true
	}
	return "", false
}

func encodeMaintenance(m Maintenance) (*maintenanceJSON, error) {
	kind, ok := kindOf(m.Change)
	if !ok {
		return nil, fmt.Errorf("regs: maintenance %s: unknown change %T", m.ID, m.Change)
	}
	b, err := json.Marshal(m.Change)
	if err != nil {
		return nil, err
	}
	return &maintenanceJSON{ID: m.ID, At: m.At, MPAN: m.MPAN, From: m.From, Kind: kind, Change: b}, nil
}

func (mj *maintenanceJSON) decode() (Maintenance, error) {
	var v Change
	var err error
	switch mj.Kind {
	case "new-connection":
		v, err = as[NewConnection](mj.Change)
	case "address":
		v, err = as[AddressChange](mj.Change)
	case "gsp":
		v, err = as[GSPChange](mj.Change)
	case "duos-tariff":
		v, err = as[DUoSTariffChange](mj.Change)
	case "energy-direction":
		v, err = as[EnergyDirectionChange](mj.Change)
	case "domestic":
		v, err = as[DomesticChange](mj.Change)
	case "dcc":
		v, err = as[DCCChange](mj.Change)
	case "metered":
		v, err = as[MeteredChange](mj.Change)
	case "connection-type":
		v, err = as[ConnectionTypeChange](mj.Change)
	case "disconnection":
		v, err = as[Disconnection](mj.Change)
	case "reconnection":
		v, err = as[Reconnection](mj.Change)
	case "green-deal":
		v, err = as[GreenDealChange](mj.Change)
	default:
		return Maintenance{}, fmt.Errorf("regs: maintenance %s: unknown kind %q", mj.ID, mj.Kind)
	}
	if err != nil {
		return Maintenance{}, fmt.Errorf("regs: maintenance %s: %w", mj.ID, err)
	}
	return Maintenance{ID: mj.ID, At: mj.At, MPAN: mj.MPAN, From: mj.From, Change: v}, nil
}

// as decodes a change of type T.
func as[T Change](raw json.RawMessage) (Change, error) {
	var c T
	err := json.Unmarshal(raw, &c)
	return c, err
}
