package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/isd"
	"github.com/mhhs/mhhs/internal/sqlite"
)

const isdID = "2900000001" // the ISD publisher of the tests

// storedVersion reads version n from the SQLite store in data, as a second
// process beside the running DIP.
func storedVersion(t *testing.T, data string, n int) isd.Version {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(data, "mhhs.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, err := db.Version(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// download GETs url without an API key and returns the body, failing the
// test unless the answer is 200 with the content type want.
func download(t *testing.T, url, want string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != want {
		t.Fatalf("GET %s: %d %s: %.200s", url, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	return body
}

func TestISDPublishEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("boots mhhs serve and generates RSA keys")
	}
	data := t.TempDir()
	h := startDIP(t, data)
	dipCert, err := os.ReadFile(filepath.Join(data, "dip-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub := addParty(t, data, h.url, isdID, "ISD")
	sup := addParty(t, data, h.url, supID, "SUP")
	sds := addParty(t, data, h.url, sdsID, "SDS")
	ctx := context.Background()
	inboxes := map[string]*inbox{}
	for _, p := range []*party{sup, sds} {
		inboxes[p.id] = newInbox(t, dipCert, p.id)
		if err := p.client.ConfigureWebhook(ctx, "IF-047", p.id, inboxes[p.id].srv.URL+"/hook"); err != nil {
			t.Fatal(err)
		}
	}
	publish := func(p *party) (int, string, string) {
		return runCLI(t, "", "isd", "publish", "--data", data, "--url", h.url, "--download-base", h.url,
			"--dip-id", p.id, "--key-file", p.keyFile, "--cert-file", p.certFile, "--api-key-file", p.keyPath)
	}

	if code, out, errOut := runCLI(t, "", "isd", "init", "--data", data); code != exitOK || !strings.Contains(out, "stored ISD version 1") {
		t.Fatalf("isd init: %d\n%s%s", code, out, errOut)
	}
	stored := storedVersion(t, data, 1)

	t.Run("a participant without role ISD cannot publish", func(t *testing.T) {
		code, out, errOut := publish(sup)
		if code != exitFail || !strings.Contains(errOut, "MSG4004") {
			t.Errorf("publish as a supplier: %d\n%s%s", code, out, errOut)
		}
	})

	var tx string
	t.Run("publish delivers a valid IF-047 to every holder of a receiving role", func(t *testing.T) {
		code, out, errOut := publish(pub)
		if code != exitOK || !strings.HasPrefix(out, "published ISD version 1: transaction T-IF-047-"+isdID+"-ISD-") {
			t.Fatalf("isd publish: %d\n%s%s", code, out, errOut)
		}
		tx = strings.Fields(strings.SplitN(out, "\n", 2)[0])[5]
		for _, id := range []string{supID, sdsID} {
			inboxes[id].wait(t, 1)
			payload := inboxes[id].last().Payload
			vd, err := catalogue.NewValidator(nil).ValidatePayload("IF-047", payload)
			if err != nil || !vd.OK() {
				t.Errorf("IF-047 delivered to %s does not validate: %v %v", id, err, vd.Findings)
			}
			p, err := catalogue.Default().Decode(payload)
			if err != nil {
				t.Fatal(err)
			}
			m := p.(*catalogue.IF047ISD)
			if m.CommonBlock.D0.TransactionID != tx {
				t.Errorf("%s got transaction %+v, want %s", id, m.CommonBlock.D0, tx)
			}
			if m.CustomBlock.P01 == nil || m.CustomBlock.P01.PublicationVersionID != "1" || len(m.CustomBlock.P02List) != 2 {
				t.Errorf("%s got P01 %+v and %d P02", id, m.CustomBlock.P01, len(m.CustomBlock.P02List))
			}
		}
	})

	t.Run("the announced assets download without an API key", func(t *testing.T) {
		p, err := catalogue.Default().Decode(inboxes[sdsID].last().Payload)
		if err != nil {
			t.Fatal(err)
		}
		assets := map[string]catalogue.P02{}
		for _, d := range p.(*catalogue.IF047ISD).CustomBlock.P02List {
			assets[d.DistributionVariantID] = d
		}
		check := func(d catalogue.P02, contentType string) []byte {
			t.Helper()
			body := download(t, d.DistributionDeliveryURI, contentType)
			sum := sha256.Sum256(body)
			if d.AdditionalInformation == nil || !strings.Contains(*d.AdditionalInformation, "SHA-256 "+hex.EncodeToString(sum[:])) {
				t.Errorf("%s: the announced digest is not that of the download: %v", d.DistributionVariantID, deref(d.AdditionalInformation))
			}
			return body
		}

		body := check(assets["ISD-JSON"], "application/json")
		got, err := isd.DecodeJSON(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(stored.Dataset.Tables(), got.Tables()); diff != "" {
			t.Errorf("downloaded JSON differs from the stored version (-stored +downloaded):\n%s", diff)
		}

		body = check(assets["ISD-CSV"], "application/zip")
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		got, err = isd.ReadCSV(zr)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(stored.Dataset.Tables(), got.Tables()); diff != "" {
			t.Errorf("downloaded CSV zip differs from the stored version (-stored +downloaded):\n%s", diff)
		}

		for _, path := range []string{"/isd/versions/2/isd.json", "/isd/versions/1/isd.xml", "/isd/versions/x/isd.json"} {
			resp, err := http.Get(h.url + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
			}
		}
	})

	t.Run("the publication is recorded", func(t *testing.T) {
		var list []struct {
			Version                int               `json:"version"`
			Published              *string           `json:"published"`
			PublishedTransactionID *string           `json:"publishedTransactionID"`
			Assets                 map[string]string `json:"assets"`
		}
		if err := json.Unmarshal(download(t, h.url+"/isd/versions", "application/json"), &list); err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Version != 1 || list[0].Published == nil || deref(list[0].PublishedTransactionID) != tx ||
			list[0].Assets["json"] != "/isd/versions/1/isd.json" {
			t.Errorf("GET /isd/versions = %+v", list)
		}
		code, out, _ := runCLI(t, "", "isd", "versions", "--data", data)
		if code != exitOK || !strings.Contains(out, tx) {
			t.Errorf("isd versions: %d\n%s", code, out)
		}
	})
}

// TestISDImportChangedCSV exports the default dataset as CSV, changes one
// value and imports it: version 2, whose only difference is that value.
func TestISDImportChangedCSV(t *testing.T) {
	data := t.TempDir()
	dir := filepath.Join(t.TempDir(), "csv")
	if code, out, errOut := runCLI(t, "", "isd", "init", "--data", data); code != exitOK {
		t.Fatalf("isd init: %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "", "isd", "export", "--data", data, "--format", "csv", dir); code != exitOK {
		t.Fatalf("isd export: %d\n%s%s", code, out, errOut)
	}

	// Rename the first participant.
	file := filepath.Join(dir, "participants.csv")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	mpid, from, oldName := rows[1][col["mpid"]], rows[1][col["effectiveFrom"]], rows[1][col["name"]]
	rows[1][col["name"]] = "Renamed Energy Ltd"
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.WriteAll(rows)
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	change := `participants ` + mpid + `@` + from + ` changed: name "` + oldName + `" -> "Renamed Energy Ltd"`

	code, out, errOut := runCLI(t, "", "isd", "import", "--data", data, "--note", "rename "+mpid, dir)
	if code != exitOK || !strings.HasPrefix(out, "stored ISD version 2: 1 change (participants: 1 changed) from version 1") || !strings.Contains(out, change) {
		t.Fatalf("isd import: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "", "isd", "diff", "--data", data, "1", "2")
	if want := change + "\n1 change (participants: 1 changed)\n"; code != exitOK || out != want {
		t.Errorf("isd diff 1 2: %d\n%s%s\nwant\n%s", code, out, errOut, want)
	}
	// A version against files: the export of version 1 as JSON against the edited CSVs.
	v1 := filepath.Join(t.TempDir(), "v1.json")
	if code, out, errOut := runCLI(t, "", "isd", "export", "--data", data, "--version", "1", v1); code != exitOK {
		t.Fatalf("isd export --version 1: %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runCLI(t, "", "isd", "diff", "--data", data, v1, dir); code != exitOK || !strings.HasPrefix(out, change+"\n") {
		t.Errorf("isd diff v1.json csv: %d\n%s", code, out)
	}

	// The same data again is no change; invalid data is refused. Neither stores a version.
	if code, out, _ := runCLI(t, "", "isd", "import", "--data", data, dir); code != exitOK || !strings.Contains(out, "no changes from version 2") {
		t.Errorf("re-import: %d\n%s", code, out)
	}
	os.WriteFile(file, bytes.Replace(b.Bytes(), []byte(mpid+","), []byte(strings.ToLower(mpid)+","), 1), 0o644)
	if code, _, errOut := runCLI(t, "", "isd", "import", "--data", data, dir); code != exitFail || !strings.Contains(errOut, "participants.csv row 2 column mpid") {
		t.Errorf("invalid import: %d\n%s", code, errOut)
	}
	code, out, _ = runCLI(t, "", "isd", "versions", "--data", data)
	if code != exitOK || strings.Count(out, "\n") != 3 || !strings.Contains(out, "rename "+mpid) {
		t.Errorf("isd versions: %d\n%s", code, out)
	}
}
