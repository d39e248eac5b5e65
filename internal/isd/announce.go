package isd

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// SenderRole is the DIP role that publishes standing data.
const SenderRole = "ISD"

// assetVariant is one downloadable form of a version, a P02 of the IF-047.
type assetVariant struct {
	id, name, description, format, delivery, file string
}

var assetVariants = []assetVariant{
	{"ISD-JSON", "Industry Standing Data, JSON", "every table in one JSON document, one row per line", "JSON", "JSON", AssetJSON},
	{"ISD-CSV", "Industry Standing Data, CSV", "one CSV file per table with a header line, in one zip archive", "CSV", "ZIP", AssetCSVZip},
}

// AnnouncementKey is the suffix of the sender reference of version n's
// announcement. With the version's creation date it makes the reference
// the same however often the version is announced, so that the DIP
// delivers one announcement per version: a second one, sent after a crash
// lost the first's answer, is refused as a duplicate (MSG3001).
func AnnouncementKey(n int) string { return "v" + strconv.Itoa(n) }

// Announcement builds the IF-047 [ISD] that announces version v: one P01
// for the publication and one P02 per downloadable asset under base (the
// DIP's public URL), with its SHA-256 and size. S1 is stamped by sender
// with the reference of AnnouncementKey, dated v.Created. Values that could
// outgrow their data type are checked against the catalogue's limits: the
// note is shortened to fit the description; a base URL too long for
// distributionDeliveryURI is an error.
func Announcement(v Version, sender *catalogue.Sender, base string, now time.Time) (*catalogue.IF047ISD, error) {
	at := market.At(now.UTC())
	versionID := strconv.Itoa(v.Number)
	if n := limit("P01", "publicationVersionID"); len(versionID) > n {
		return nil, fmt.Errorf("isd: version number %s is longer than publicationVersionID allows (%d)", versionID, n)
	}
	desc := fmt.Sprintf("Industry Standing Data version %d", v.Number)
	if v.Note != "" {
		desc += ": " + v.Note
	}
	m := &catalogue.IF047ISD{}
	sender.StampKey(m, v.Created, AnnouncementKey(v.Number))
	m.CustomBlock.P01 = &catalogue.P01{
		PublicationDescription: shorten(desc, limit("P01", "publicationDescription")),
		PublicationVersionID:   versionID,
		PublicationDate:        at,
	}
	for _, av := range assetVariants {
		uri := base + AssetPath(v.Number, av.file)
		if n := limit("P02", "distributionDeliveryURI"); len([]rune(uri)) > n {
			return nil, fmt.Errorf("isd: distributionDeliveryURI %s is %d characters; IF-047 allows %d: use a shorter download base", uri, len([]rune(uri)), n)
		}
		asset, err := Asset(v, av.file)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(asset)
		info := fmt.Sprintf("SHA-256 %s; %d bytes; public download, no API key", hex.EncodeToString(sum[:]), len(asset))
		variantDesc, format, delivery := av.description, av.format, av.delivery
		m.CustomBlock.P02List = append(m.CustomBlock.P02List, catalogue.P02{
			DistributionVariantID:              av.id,
			DistributionVariantName:            av.name,
			DistributionVariantDescription:     &variantDesc,
			DistributionVariantVersionID:       versionID,
			DistributionVariantPublicationDate: at,
			DistributionVariantFormat:          &format,
			DistributionDeliveryFormat:         &delivery,
			DistributionDeliveryURI:            uri,
			AdditionalInformation:              &info,
		})
	}
	return m, nil
}

// limit returns the maximum length, in characters, of a field of a block
// of the IF-047, from the catalogue's data types; math.MaxInt when the
// catalogue sets none (the validator remains the judge).
func limit(block, field string) int {
	c := catalogue.Default()
	if b, ok := c.Block(block); ok {
		if f, ok := b.Field(field); ok {
			if dt, ok := c.DataType(f.Ref); ok && dt.MaxLength != catalogue.Unset {
				return dt.MaxLength
			}
		}
	}
	return math.MaxInt
}

// shorten returns s cut to at most n characters, ending with "…" when cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
