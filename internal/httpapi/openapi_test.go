package httpapi

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mhhs/mhhs/internal/catalogue"
)

const openAPITestContract = "../../reference/dip-contract.json"

// openAPITestDoc returns the document and its decoded form.
func openAPITestDoc(t *testing.T) ([]byte, map[string]any) {
	t.Helper()
	raw, err := OpenAPI(catalogue.Default(), "https://dip.example.test/")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("document is not valid JSON: %v", err)
	}
	return raw, doc
}

// openAPITestGet walks keys through nested objects, failing the test where
// one is missing.
func openAPITestGet(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for i, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: not an object", strings.Join(keys[:i], "."))
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("%s: missing", strings.Join(keys[:i+1], "."))
		}
	}
	return v
}

func openAPITestSchemas(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	return openAPITestGet(t, doc, "components", "schemas").(map[string]any)
}

func TestOpenAPIDocument(t *testing.T) {
	raw, doc := openAPITestDoc(t)
	if !json.Valid(raw) {
		t.Fatal("document is not valid JSON")
	}
	if got := doc["openapi"]; got != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", got)
	}
	if got := openAPITestGet(t, doc, "info", "version"); got != "2.2.1-mhhs" {
		t.Errorf("info.version = %v", got)
	}
	if got := openAPITestGet(t, doc, "info", "title"); got != "mhhs DIP API" {
		t.Errorf("info.title = %v", got)
	}
	desc := openAPITestGet(t, doc, "info", "description").(string)
	if !strings.Contains(desc, "wire-compatible with Elexon's DIP API v2.2.1") {
		t.Errorf("info.description does not state wire compatibility:\n%s", desc)
	}
	for _, code := range catalogue.Codes() {
		if !strings.Contains(desc, code.Message()) {
			t.Errorf("info.description misses %q", code.Message())
		}
	}
	// mhhs's own endpoints: the DIP's certificate is public (no API key).
	cert := openAPITestGet(t, doc, "paths", "/dip-certificate", "get").(map[string]any)
	openAPITestGet(t, cert, "responses", "200", "content", "application/x-pem-file")
	if sec, _ := cert["security"].([]any); sec == nil || len(sec) != 0 {
		t.Errorf("GET /dip-certificate security = %v, want [] (public)", cert["security"])
	}
	for _, refusal := range []string{"415 MSG1004", "408 MSG4006", "503 MSG5002"} {
		if !strings.Contains(desc, refusal) {
			t.Errorf("info.description does not document %s", refusal)
		}
	}
	servers := doc["servers"].([]any)
	if len(servers) != 1 || openAPITestGet(t, servers[0], "url") != "https://dip.example.test/" {
		t.Errorf("servers = %v", servers)
	}
	again, err := OpenAPI(catalogue.Default(), "https://dip.example.test/")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, again) {
		t.Error("two calls gave different documents")
	}
	noServer, err := OpenAPI(catalogue.Default(), "")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(noServer, []byte(`"servers"`)) {
		t.Error(`serverURL "" still lists servers`)
	}
}

// TestOpenAPIContractEndpoints checks every endpoint of the DIP contract:
// its path and method, operationId, parameters, signature headers, request
// body, responses (with their body schema, or none) and callback.
func TestOpenAPIContractEndpoints(t *testing.T) {
	rawContract, err := os.ReadFile(openAPITestContract)
	if err != nil {
		t.Fatal(err)
	}
	var contract struct {
		HTTP struct {
			Security   map[string]any `json:"security"`
			Parameters map[string]struct {
				Name     string `json:"name"`
				In       string `json:"in"`
				Required bool   `json:"required"`
			} `json:"parameters"`
			Endpoints []struct {
				Method          string                    `json:"method"`
				Path            string                    `json:"path"`
				OperationID     *string                   `json:"operationId"`
				Request         *string                   `json:"request"`
				Responses       map[string]*string        `json:"responses"`
				Headers         []string                  `json:"headers"`
				PathParams      []string                  `json:"pathParams"`
				QueryParams     []string                  `json:"queryParams"`
				ResponseHeaders map[string]map[string]any `json:"responseHeaders"`
				Callback        *struct {
					Name      string             `json:"name"`
					Method    string             `json:"method"`
					Request   string             `json:"request"`
					Responses map[string]*string `json:"responses"`
					Headers   []string           `json:"headers"`
				} `json:"callback"`
			} `json:"endpoints"`
			ValidateEndpoints struct {
				Method string `json:"method"`
				List   []struct {
					Path string `json:"path"`
				} `json:"list"`
			} `json:"validateEndpoints"`
		} `json:"http"`
	}
	if err := json.Unmarshal(rawContract, &contract); err != nil {
		t.Fatal(err)
	}
	if len(contract.HTTP.Endpoints) == 0 {
		t.Fatal("contract lists no endpoints")
	}
	_, doc := openAPITestDoc(t)
	paths := openAPITestGet(t, doc, "paths").(map[string]any)

	required := map[string]bool{}
	for _, p := range contract.HTTP.Parameters {
		required[p.In+" "+p.Name] = p.Required
	}
	checkParams := func(where string, op map[string]any, in string, names []string) {
		t.Helper()
		params, _ := op["parameters"].([]any)
		for _, name := range names {
			found := false
			for _, p := range params {
				p := p.(map[string]any)
				if p["name"] == name && p["in"] == in {
					found = true
					if want := required[in+" "+name]; p["required"] != want {
						t.Errorf("%s: %s parameter %s: required = %v, want %v", where, in, name, p["required"], want)
					}
				}
			}
			if !found {
				t.Errorf("%s: no %s parameter %s", where, in, name)
			}
		}
	}
	checkBody := func(where string, op map[string]any, schema string) {
		t.Helper()
		got := openAPITestGet(t, op, "requestBody", "content", "application/json", "schema", "$ref")
		if got != "#/components/schemas/"+schema {
			t.Errorf("%s: request body %v, want %s", where, got, schema)
		}
	}
	checkResponses := func(where string, op map[string]any, want map[string]*string) {
		t.Helper()
		responses := openAPITestGet(t, op, "responses").(map[string]any)
		for code, schema := range want {
			r, ok := responses[code].(map[string]any)
			if !ok {
				t.Errorf("%s: no %s response", where, code)
				continue
			}
			if r["description"] == "" {
				t.Errorf("%s: %s response has no description", where, code)
			}
			switch {
			case schema == nil && r["content"] != nil:
				t.Errorf("%s: %s response declares a body; the contract has none", where, code)
			case schema != nil:
				if got := openAPITestGet(t, r, "content", "application/json", "schema", "$ref"); got != "#/components/schemas/"+*schema {
					t.Errorf("%s: %s response body %v, want %s", where, code, got, *schema)
				}
			}
		}
		if len(responses) != len(want) {
			t.Errorf("%s: %d responses, the contract lists %d", where, len(responses), len(want))
		}
	}

	contractPaths := map[string]bool{}
	for _, e := range contract.HTTP.Endpoints {
		where := e.Method + " " + e.Path
		contractPaths[e.Path] = true
		item, ok := paths[e.Path].(map[string]any)
		if !ok {
			t.Errorf("%s: path missing", where)
			continue
		}
		op, ok := item[strings.ToLower(e.Method)].(map[string]any)
		if !ok {
			t.Errorf("%s: method missing", where)
			continue
		}
		if e.OperationID != nil && op["operationId"] != *e.OperationID {
			t.Errorf("%s: operationId %v, want %s", where, op["operationId"], *e.OperationID)
		}
		checkParams(where, op, "path", e.PathParams)
		checkParams(where, op, "query", e.QueryParams)
		checkParams(where, op, "header", e.Headers)
		if e.Request != nil {
			checkBody(where, op, *e.Request)
		} else if op["requestBody"] != nil {
			t.Errorf("%s: has a request body; the contract has none", where)
		}
		checkResponses(where, op, e.Responses)
		for code, headers := range e.ResponseHeaders {
			for h := range headers {
				openAPITestGet(t, op, "responses", code, "headers", h)
			}
		}
		if cb := e.Callback; cb != nil {
			exprs := openAPITestGet(t, op, "callbacks", cb.Name).(map[string]any)
			if len(exprs) != 1 {
				t.Errorf("%s: callback %s has %d expressions", where, cb.Name, len(exprs))
			}
			for expr, item := range exprs {
				cbWhere := where + " callback " + expr
				cbOp := openAPITestGet(t, item, strings.ToLower(cb.Method)).(map[string]any)
				checkParams(cbWhere, cbOp, "header", cb.Headers)
				checkBody(cbWhere, cbOp, cb.Request)
				checkResponses(cbWhere, cbOp, cb.Responses)
			}
		} else if op["callbacks"] != nil {
			t.Errorf("%s: has callbacks; the contract has none", where)
		}
	}

	validateMethod := strings.ToLower(contract.HTTP.ValidateEndpoints.Method)
	for _, e := range contract.HTTP.ValidateEndpoints.List {
		contractPaths[e.Path] = true
		if _, ok := openAPITestGet(t, paths, e.Path).(map[string]any)[validateMethod]; !ok {
			t.Errorf("%s %s: missing", validateMethod, e.Path)
		}
	}
	for path := range paths {
		if !contractPaths[path] && path != "/openapi.json" && path != "/healthz" && path != "/readyz" && path != "/dip-certificate" {
			t.Errorf("path %s is neither in the contract nor an mhhs extra", path)
		}
	}

	scheme := openAPITestGet(t, doc, "components", "securitySchemes", "ApiKeyAuth")
	if want := contract.HTTP.Security["ApiKeyAuth"]; !openAPITestJSONEqual(scheme, want) {
		t.Errorf("ApiKeyAuth = %v, want %v", scheme, want)
	}
}

func openAPITestJSONEqual(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// TestOpenAPIRefsResolve walks the whole document: every $ref names an entry
// of components.schemas, and no $defs is left.
func TestOpenAPIRefsResolve(t *testing.T) {
	_, doc := openAPITestDoc(t)
	schemas := openAPITestSchemas(t, doc)
	refs := 0
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k == "$defs" {
					t.Errorf("%s: $defs left in the document", path)
				}
				if k == "$ref" {
					refs++
					ref, _ := x.(string)
					name, ok := strings.CutPrefix(ref, "#/components/schemas/")
					name = strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~")
					if _, exists := schemas[name]; !ok || !exists {
						t.Errorf("%s: $ref %q does not resolve to components.schemas", path, ref)
					}
					continue
				}
				walk(path+"/"+k, x)
			}
		case []any:
			for _, x := range v {
				walk(path+"[]", x)
			}
		}
	}
	walk("#", doc)
	if refs == 0 {
		t.Fatal("no $ref in the document")
	}
}

// TestOpenAPIVariants checks that every variant has its payload schema, and
// its validate endpoint where it has one.
func TestOpenAPIVariants(t *testing.T) {
	_, doc := openAPITestDoc(t)
	schemas := openAPITestSchemas(t, doc)
	paths := openAPITestGet(t, doc, "paths").(map[string]any)
	c := catalogue.Default()
	variants, validated := 0, 0
	for _, in := range c.Interfaces() {
		for _, v := range in.Variants {
			variants++
			name := v.InterfaceID + "-" + v.Event()
			if _, ok := schemas[name]; !ok {
				t.Errorf("no schema %s", name)
			}
			if v.ValidatePath == "" {
				continue
			}
			validated++
			item, ok := paths[v.ValidatePath].(map[string]any)
			if !ok {
				t.Errorf("%s %s: no path %s", v.InterfaceID, v.EventCode, v.ValidatePath)
				continue
			}
			ref := openAPITestGet(t, item, "post", "requestBody", "content", "application/json", "schema", "items", "properties", "payload", "$ref")
			if ref != "#/components/schemas/"+name {
				t.Errorf("%s: payload schema %v, want %s", v.ValidatePath, ref, name)
			}
		}
	}
	if validated == 0 || variants == 0 {
		t.Fatalf("%d variants, %d with a validate path", variants, validated)
	}
	oneOf := openAPITestGet(t, schemas, "DIPMessage", "properties", "payload", "oneOf").([]any)
	if len(oneOf) != variants {
		t.Errorf("DIPMessage.payload.oneOf has %d schemas, want %d", len(oneOf), variants)
	}
}

// openAPITestCompile compiles a schema of the document with a general JSON
// Schema validator, the document loaded whole so that its $refs resolve.
func openAPITestCompile(t *testing.T, raw []byte, name string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	comp := jsonschema.NewCompiler()
	comp.AssertFormat()
	const url = "mhhs:///openapi.json"
	if err := comp.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := comp.Compile(url + "#/components/schemas/" + name)
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return s
}

func openAPITestInstance(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpenAPIPayloadSchemaValidates(t *testing.T) {
	raw, _ := openAPITestDoc(t)
	s := openAPITestCompile(t, raw, "IF-021-ActivePower")
	c := catalogue.Default()
	v, ok := c.Variant("IF-021", "ActivePower")
	if !ok {
		t.Fatal("no IF-021 ActivePower")
	}
	example := c.Example(v, catalogue.ExampleOptions{Full: true})
	if err := s.Validate(openAPITestInstance(t, example)); err != nil {
		t.Fatalf("example rejected: %v\n%s", err, example)
	}
	bad := openAPITestInstance(t, example)
	s1 := openAPITestGet(t, bad, "CommonBlock", "S1").(map[string]any)
	s1["mhhsUnknownKey"] = "x"
	if err := s.Validate(bad); err == nil {
		t.Error("an unknown key in CommonBlock.S1 was accepted")
	}
}

// TestOpenAPIMessageArray checks the oneOf of DIPMessage: each variant's
// examples match exactly one payload schema.
func TestOpenAPIMessageArray(t *testing.T) {
	if testing.Short() {
		t.Skip("validates every variant against every payload schema")
	}
	raw, _ := openAPITestDoc(t)
	s := openAPITestCompile(t, raw, "DIPMessageArray")
	c := catalogue.Default()
	for _, in := range c.Interfaces() {
		for _, v := range in.Variants {
			for _, full := range []bool{false, true} {
				body := append(append([]byte(`[{"payload":`), c.Example(v, catalogue.ExampleOptions{Full: full})...), "}]"...)
				if err := s.Validate(openAPITestInstance(t, body)); err != nil {
					t.Errorf("%s %s (full %v): %v", v.InterfaceID, v.EventCode, full, err)
				}
			}
		}
	}
	if err := s.Validate(openAPITestInstance(t, []byte(`[]`))); err == nil {
		t.Error("an empty message array was accepted")
	}
}
