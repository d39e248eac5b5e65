package isd

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// The downloadable assets of a version, served publicly by the DIP under
// /isd/versions/{n}/ and announced by IF-047.
const (
	AssetJSON   = "isd.json"    // the dataset as one JSON document
	AssetCSVZip = "isd-csv.zip" // the dataset as one CSV file per table, zipped
)

// AssetPath returns the path, under the DIP's base URL, of asset name of
// version n, as in /isd/versions/3/isd.json.
func AssetPath(n int, name string) string {
	return "/isd/versions/" + strconv.Itoa(n) + "/" + name
}

// Asset returns the bytes of asset name (AssetJSON or AssetCSVZip) of
// version v: exactly what a download of its path answers, so that an
// announcement can state its digest. Both encodings are deterministic; the
// zip entries carry v.Created as their modification time.
func Asset(v Version, name string) ([]byte, error) {
	var buf bytes.Buffer
	switch name {
	case AssetJSON:
		if err := v.Dataset.EncodeJSON(&buf); err != nil {
			return nil, err
		}
	case AssetCSVZip:
		zw := zip.NewWriter(&buf)
		err := v.Dataset.WriteCSV(func(file string) (io.Writer, error) {
			return zw.CreateHeader(&zip.FileHeader{Name: file, Method: zip.Deflate, Modified: v.Created})
		})
		if err != nil {
			return nil, err
		}
		if err := zw.Close(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("isd: no asset %q", name)
	}
	return buf.Bytes(), nil
}
