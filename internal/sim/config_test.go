package sim

import (
	"errors"
	"testing"

	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/market"
)

func TestDefaultConfigValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"no sites", func(c *Config) { c.Sites = 0 }},
		{"no start", func(c *Config) { c.Start = market.SettlementDate{} }},
		{"short horizon", func(c *Config) { c.Horizon = 1 }},
		{"negative share", func(c *Config) { c.Shares.Domestic = -0.1 }},
		{"share above 1", func(c *Config) { c.Shares.IDNO = 1.5 }},
		{"segments above 1", func(c *Config) { c.Shares.Advanced, c.Shares.Unmetered = 0.6, 0.6 }},
		{"connections above 1", func(c *Config) { c.Shares.LVCT, c.Shares.HVCT = 0.6, 0.6 }},
		{"too many exports", func(c *Config) { c.Shares.Export = 0.5 }},
		{"faults above 1", func(c *Config) { c.Faults.Gaps, c.Faults.MissingDays = 0.6, 0.6 }},
		{"gap too long", func(c *Config) { c.Faults.GapMax = 49 }},
		{"no gap", func(c *Config) { c.Faults.GapMax = 0 }},
		{"loss factor below 1", func(c *Config) { c.LossFactor = 0.9 }},
		{"take error", func(c *Config) { c.TakeError = 0.9 }},
		{"negative rate", func(c *Config) { c.Rates.Switches = -1 }},
		{"no groups", func(c *Config) { c.Groups = nil }},
		{"bad group", func(c *Config) { c.Groups = []GroupWeight{{"_I", 1}} }},
		{"group twice", func(c *Config) { c.Groups = []GroupWeight{{"_A", 1}, {"_A", 2}} }},
		{"zero weights", func(c *Config) { c.Groups = []GroupWeight{{"_A", 0}} }},
		{"tiny annual", func(c *Config) { c.Loads[Domestic].Annual = 10 }},
		{"huge annual", func(c *Config) { c.Loads[LargeBusiness].Annual = 1 << 40 }},
		{"noise of 1", func(c *Config) { c.Loads[Solar].DayNoise = 1 }},
		{"spread", func(c *Config) { c.Loads[Economy7].Spread = 2 }},
		{"small keys", func(c *Config) { c.KeyBits = 512 }},
		{"agents", func(c *Config) { c.Agents = -1 }},
		{"HV", func(c *Config) { c.HV = 0 }},
	}
	ds, err := isd.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			if err := c.Validate(); !errors.Is(err, ErrConfig) {
				t.Errorf("Validate = %v, want ErrConfig", err)
			}
			if _, err := New(ds, c); !errors.Is(err, ErrConfig) {
				t.Errorf("New = %v, want ErrConfig", err)
			}
		})
	}
}

func TestNewRejectsMissingStandingData(t *testing.T) {
	if _, err := New(nil, DefaultConfig()); !errors.Is(err, ErrDataset) {
		t.Errorf("New(nil) = %v, want ErrDataset", err)
	}
	ds, err := isd.Default()
	if err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.Start = date(2023, 6, 1) // before the default dataset begins
	if _, err := New(ds, c); !errors.Is(err, ErrDataset) {
		t.Errorf("New before the dataset = %v, want ErrDataset", err)
	}
}
