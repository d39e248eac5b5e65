package market

import "fmt"

// GSPGroup is a Grid Supply Point group id: "_A" to "_P" without "_I" and
// "_O".
type GSPGroup string

// GSPGroupInfo describes one GSP group and the distributor of its area.
type GSPGroupInfo struct {
	ID            GSPGroup // e.g. "_A"
	Name          string   // the area, e.g. "Eastern"
	DistributorID string   // the 2-digit MPAN distributor id, e.g. "10"
}

// GSPGroups returns the 14 GSP groups with the standard distributor id and
// area name of each, ordered by distributor id. IDNOs hold other
// distributor ids; the live list belongs to Industry Standing Data. The
// slice is new on each call.
func GSPGroups() []GSPGroupInfo {
	return []GSPGroupInfo{
		{"_A", "Eastern", "10"},
		{"_B", "East Midlands", "11"},
		{"_C", "London", "12"},
		{"_D", "Merseyside & N Wales", "13"},
		{"_E", "Midlands", "14"},
		{"_F", "Northern", "15"},
		{"_G", "North Western", "16"},
		{"_P", "North Scotland", "17"},
		{"_N", "South Scotland", "18"},
		{"_J", "South Eastern", "19"},
		{"_H", "Southern", "20"},
		{"_K", "South Wales", "21"},
		{"_L", "South Western", "22"},
		{"_M", "Yorkshire", "23"},
	}
}

// ParseGSPGroup parses a GSP group id such as "_A". It returns ErrGSPGroup
// for anything else, including "_I" and "_O".
func ParseGSPGroup(s string) (GSPGroup, error) {
	g := GSPGroup(s)
	if !g.Valid() {
		return "", fmt.Errorf("market: GSP group %s: %w", quote(s), ErrGSPGroup)
	}
	return g, nil
}

// Valid reports whether g is one of the 14 GSP groups.
func (g GSPGroup) Valid() bool {
	_, ok := g.Info()
	return ok
}

// Info returns the description of g and whether g is a GSP group.
func (g GSPGroup) Info() (GSPGroupInfo, bool) {
	for _, gi := range GSPGroups() {
		if gi.ID == g {
			return gi, true
		}
	}
	return GSPGroupInfo{}, false
}

// GSPGroupOfDistributor returns the GSP group whose area belongs to the
// distributor with the 2-digit id, e.g. "10" -> "_A". It reports false for
// ids outside 10..23, such as IDNOs.
func GSPGroupOfDistributor(id string) (GSPGroup, bool) {
	for _, gi := range GSPGroups() {
		if gi.DistributorID == id {
			return gi.ID, true
		}
	}
	return "", false
}
