package market

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestDateTimeValue(t *testing.T) {
	day := NewSettlementDate(2025, 4, 1)
	m := MidnightOf(day)
	if got := m.String(); got != "2025-04-01T00:00:00+01:00" {
		t.Errorf("MidnightOf(%s) = %s, want local midnight in BST", day, got)
	}
	if got := m.LocalDate(); !got.Equal(day) {
		t.Errorf("LocalDate = %s, want %s", got, day)
	}
	if got := m.UTCDate(); !got.Equal(day.AddDays(-1)) {
		t.Errorf("UTCDate = %s, want the day before", got)
	}
	p := PeriodStartOf(day, 48)
	if got := p.String(); got != "2025-04-01T23:30:00+00:00" {
		t.Errorf("PeriodStartOf(48) = %s", got)
	}
	if at := At(time.Date(2025, 1, 2, 3, 4, 5, 999, time.UTC)); at.String() != "2025-01-02T03:04:05+00:00" {
		t.Errorf("At keeps fractions: %s", at)
	}

	b, err := json.Marshal(struct{ D DateTime }{m})
	if err != nil || string(b) != `{"D":"2025-04-01T00:00:00+01:00"}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
	var back struct{ D DateTime }
	if err := json.Unmarshal(b, &back); err != nil || !back.D.Equal(m) || back.D.String() != m.String() {
		t.Errorf("Unmarshal = %v (%s), %v", back.D, back.D, err)
	}
	// The zero DateTime is no instant: a required field left unset fails
	// to encode instead of writing year 1.
	if _, err := json.Marshal(struct{ D DateTime }{}); !errors.Is(err, ErrDateTime) {
		t.Errorf("Marshal(zero) error = %v, want ErrDateTime", err)
	}
	for _, bad := range []string{`"2025-04-01T00:00:00Z"`, `"2025-02-29T00:00:00+00:00"`, `"2025-04-01"`} {
		var v DateTime
		if err := json.Unmarshal([]byte(bad), &v); !errors.Is(err, ErrDateTime) {
			t.Errorf("Unmarshal(%s) error = %v, want ErrDateTime", bad, err)
		}
	}
}

func TestEnergyText(t *testing.T) {
	b, err := json.Marshal(struct{ V Energy }{12345})
	if err != nil || string(b) != `{"V":"12.345"}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
	var v struct{ V Energy }
	if err := json.Unmarshal([]byte(`{"V":"-0.001"}`), &v); err != nil || v.V != -1 {
		t.Errorf("Unmarshal = %d, %v", v.V, err)
	}
	for _, bad := range []string{`{"V":"1.23"}`, `{"V":"1e3"}`} {
		if err := json.Unmarshal([]byte(bad), &v); !errors.Is(err, ErrEnergyFormat) {
			t.Errorf("Unmarshal(%s) error = %v, want ErrEnergyFormat", bad, err)
		}
	}
}
