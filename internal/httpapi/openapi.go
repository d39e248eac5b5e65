package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mhhs/mhhs/internal/catalogue"
)

// OpenAPI returns the OpenAPI 3.1.0 document (indented JSON) of the API the
// mhhs DIP serves: every endpoint of Elexon's DIP API v2.2.1 with its
// parameters, signature headers, bodies and responses, the per-variant
// POST /validate/{IF}/{event} endpoints, and mhhs's own GET /openapi.json,
// /healthz and /readyz. serverURL becomes the document's only server; "" leaves
// servers out, which OpenAPI reads as "/".
//
// components.schemas holds one schema per event variant, named
// "IF-021-ActivePower", built from Catalogue.JSONSchema so that the document
// states exactly the rules the validator enforces, plus the shared blocks and
// data types those schemas use and the envelope objects of the API. It fails
// if two variants define a shared schema differently or an envelope object
// names a schema the catalogue lacks.
func OpenAPI(c *catalogue.Catalogue, serverURL string) ([]byte, error) {
	b := &openAPIBuilder{c: c, schemas: map[string]any{}, encoded: map[string][]byte{}, building: map[string]bool{}}
	if err := b.addVariants(); err != nil {
		return nil, err
	}
	for _, name := range openAPIEnvelopeNames {
		if err := b.ensure(name); err != nil {
			return nil, err
		}
	}
	paths, err := b.paths()
	if err != nil {
		return nil, err
	}
	doc := openAPIDocument{
		OpenAPI:           "3.1.0",
		Info:              openAPIInfo(),
		JSONSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
		Security:          []map[string][]string{{"ApiKeyAuth": {}}},
		Tags:              openAPITags,
		Paths:             paths,
		Components: map[string]any{
			"schemas": b.schemas,
			"securitySchemes": map[string]any{
				"ApiKeyAuth": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key"},
			},
		},
	}
	if serverURL != "" {
		doc.Servers = []map[string]any{{"url": serverURL, "description": "mhhs DIP"}}
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("httpapi: OpenAPI: %w", err)
	}
	return append(out, '\n'), nil
}

// openAPIDocument fixes the order of the top-level keys; everything below is
// a map, which encoding/json writes with sorted keys.
type openAPIDocument struct {
	OpenAPI           string                `json:"openapi"`
	Info              map[string]any        `json:"info"`
	JSONSchemaDialect string                `json:"jsonSchemaDialect"`
	Servers           []map[string]any      `json:"servers,omitempty"`
	Security          []map[string][]string `json:"security"`
	Tags              []map[string]any      `json:"tags"`
	Paths             map[string]any        `json:"paths"`
	Components        map[string]any        `json:"components"`
}

func openAPIInfo() map[string]any {
	var d strings.Builder
	d.WriteString("The Data Integration Platform of mhhs, wire-compatible with Elexon's DIP API v2.2.1 " +
		"(https://dip-api-documentation.elexon.co.uk/): the same paths, parameters, X-DIP-Signature* " +
		"headers, request and response bodies and status codes. mhhs adds GET /openapi.json (this " +
		"document), GET /healthz, GET /readyz and GET /dip-certificate (the certificate whose key signs " +
		"the DIP's webhook deliveries).\n\n" +
		"Before it reads a request's body, mhhs checks the X-API-Key (401 MSG4001), the presence of the " +
		"four X-DIP-Signature* headers (401 MSG4002), a Content-Type of application/json, with no " +
		"charset or UTF-8, on every request with a body (415 MSG1004; a missing Content-Type too), the " +
		"declared length (413 MSG4005) and room in the memory it lends to bodies in flight (503 MSG5002 " +
		"with Retry-After). A body must arrive within the server's body timeout (408 MSG4006).\n\n" +
		"Message payloads are described per event variant (components.schemas \"IF-021-ActivePower\" …) " +
		"with the rules mhhs's validator enforces, including format assertions.\n\n" +
		"Every StandardResponse item carries a message code in `message`. Elexon publishes only " +
		"MSG0000 and MSG1001; the others are mhhs's own, and none is ever renumbered:\n")
	for _, code := range catalogue.Codes() {
		d.WriteString("\n- " + code.Message())
	}
	return map[string]any{
		"title":       "mhhs DIP API",
		"version":     "2.2.1-mhhs",
		"description": d.String(),
	}
}

var openAPITags = []map[string]any{
	{"name": "DIP Message Channel", "description": "Send messages on an interface channel"},
	{"name": "DIP Channel Publication Configuration", "description": "Webhooks that receive a channel's publications"},
	{"name": "DIP Channel Replay/Requeue", "description": "Replay publications in the response, or requeue them to the webhook"},
	{"name": "DIP Message Delivery Status", "description": "Journal of a message's processing"},
	{"name": "Status Messages", "description": "Asynchronous (L4) status messages and their webhook"},
	{"name": "Status Message Replay/Requeue", "description": "Replay or requeue status messages"},
	{"name": "DIP Message Validation Endpoints", "description": "Schema validation of one variant, for debugging only"},
	{"name": "mhhs", "description": "Endpoints of mhhs that are not in the DIP API"},
}

// openAPIEnvelopeNames are the envelope schemas of the DIP API, as named in
// the spec's components.schemas.
var openAPIEnvelopeNames = []string{
	"DIPMessage", "DIPMessageArray", "DIPMessageEgress", "DIPMessageEgressArray",
	"StandardResponse", "StandardResponseArray", "StandardResponseBodyType",
	"WebhookConfig", "MessageRequest", "StatusMessageRequest",
	"RequeueId", "RequeueStatus", "RequeueStatusArray",
	"DIPJournalRecord", "JournalEntry", "RecipientMapEntry", "DIPStatusValue", "DIPStage",
}

type openAPIBuilder struct {
	c        *catalogue.Catalogue
	schemas  map[string]any    // components.schemas
	encoded  map[string][]byte // JSON of each schema, to compare duplicates
	building map[string]bool   // envelope objects under construction
	variants []string          // variant schema names, in catalogue order
}

func openAPIVariantName(v *catalogue.Variant) string { return v.InterfaceID + "-" + v.Event() }

func openAPIRef(name string) map[string]any {
	name = strings.ReplaceAll(strings.ReplaceAll(name, "~", "~0"), "/", "~1")
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// addVariants adds the payload schema of every variant and the shared
// blocks and data types in their $defs.
func (b *openAPIBuilder) addVariants() error {
	for _, in := range b.c.Interfaces() {
		for _, v := range in.Variants {
			s := b.c.JSONSchema(v)
			defs, _ := s["$defs"].(map[string]any)
			delete(s, "$defs")
			delete(s, "$schema") // jsonSchemaDialect states it once
			for _, name := range slices.Sorted(maps.Keys(defs)) {
				if defs[name] == nil {
					return fmt.Errorf("httpapi: OpenAPI: %s %s: empty $defs entry %q", v.InterfaceID, v.EventCode, name)
				}
				if err := b.put(name, openAPIRewriteRefs(defs[name])); err != nil {
					return err
				}
			}
			name := openAPIVariantName(v)
			if _, dup := b.schemas[name]; dup {
				return fmt.Errorf("httpapi: OpenAPI: schema name %q used twice", name)
			}
			if err := b.put(name, openAPIRewriteRefs(s)); err != nil {
				return err
			}
			b.variants = append(b.variants, name)
		}
	}
	return nil
}

// put adds a schema, or checks that an existing one of that name is the same.
func (b *openAPIBuilder) put(name string, s any) error {
	enc, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("httpapi: OpenAPI: schema %q: %w", name, err)
	}
	if old, ok := b.encoded[name]; ok {
		if !bytes.Equal(old, enc) {
			return fmt.Errorf("httpapi: OpenAPI: schema %q is defined differently by two variants", name)
		}
		return nil
	}
	b.encoded[name] = enc
	b.schemas[name] = s
	return nil
}

// openAPIRewriteRefs returns a copy of s with every "#/$defs/X" reference
// pointing at components.schemas.
func openAPIRewriteRefs(s any) any {
	switch s := s.(type) {
	case map[string]any:
		out := make(map[string]any, len(s))
		for k, v := range s {
			if ref, ok := v.(string); ok && k == "$ref" {
				if name, ok := strings.CutPrefix(ref, "#/$defs/"); ok {
					v = "#/components/schemas/" + name
				}
			}
			out[k] = openAPIRewriteRefs(v)
		}
		return out
	case []any:
		out := make([]any, len(s))
		for i, v := range s {
			out[i] = openAPIRewriteRefs(v)
		}
		return out
	}
	return s
}

// ensure adds the named data type, envelope object, envelope array or block
// unless components.schemas has it already.
func (b *openAPIBuilder) ensure(name string) error {
	if _, ok := b.schemas[name]; ok || b.building[name] {
		return nil
	}
	if dt, ok := b.c.DataType(name); ok {
		return b.put(name, catalogue.DataTypeSchema(dt))
	}
	if arr, ok := b.c.EnvelopeArray(name); ok {
		if err := b.ensure(arr.Items); err != nil {
			return err
		}
		return b.put(name, map[string]any{"type": "array", "items": openAPIRef(arr.Items), "minItems": arr.MinItems})
	}
	blk, ok := b.c.EnvelopeBlock(name)
	if !ok {
		if blk, ok = b.c.Block(name); !ok {
			return fmt.Errorf("httpapi: OpenAPI: no schema %q in the catalogue", name)
		}
	}
	b.building[name] = true
	s, err := b.block(blk.Fields, blk.Additional)
	delete(b.building, name)
	if err != nil {
		return fmt.Errorf("httpapi: OpenAPI: %s: %w", name, err)
	}
	return b.put(name, s)
}

func (b *openAPIBuilder) block(fields []catalogue.Field, additional bool) (map[string]any, error) {
	props := map[string]any{}
	var required []any
	for i := range fields {
		f := &fields[i]
		s, err := b.field(f)
		if err != nil {
			return nil, err
		}
		props[f.Name] = s
		if f.Required {
			required = append(required, f.Name)
		}
	}
	m := map[string]any{"type": "object", "properties": props}
	if required != nil {
		m["required"] = required
	}
	if !additional {
		m["additionalProperties"] = false
	}
	return m, nil
}

// field returns the schema of an envelope field. A nullable field admits
// null: through its data type where that is nullable, as type [T, "null"]
// where the field is inline or an array, and through anyOf otherwise.
func (b *openAPIBuilder) field(f *catalogue.Field) (map[string]any, error) {
	nullable := f.Nullable && f.Array == nil
	var item map[string]any
	switch {
	case f.OneOf != nil:
		// The spec names one schema per interface (IF-021-Payload); mhhs
		// publishes one per variant, so the choice is over those.
		refs := make([]any, 0, len(b.variants)+1)
		for _, name := range b.variants {
			refs = append(refs, openAPIRef(name))
		}
		if nullable {
			refs = append(refs, map[string]any{"type": "null"})
		}
		item = map[string]any{"oneOf": refs}
	case f.Ref != "":
		if err := b.ensure(f.Ref); err != nil {
			return nil, err
		}
		item = openAPIRef(f.Ref)
		if dt, ok := b.c.DataType(f.Ref); nullable && !(ok && dt.Nullable) {
			item = map[string]any{"anyOf": []any{item, map[string]any{"type": "null"}}}
		}
	case f.InlineKind == catalogue.KindObject:
		// Inline objects declare no additionalProperties in the spec.
		obj, err := b.block(f.Fields, true)
		if err != nil {
			return nil, err
		}
		if nullable {
			obj["type"] = []any{"object", "null"}
		}
		item = obj
	case f.InlineKind != 0:
		item = map[string]any{"type": openAPIType(f.InlineKind.String(), nullable)}
		if f.Enum != nil {
			e := make([]any, 0, len(f.Enum)+1)
			for _, x := range f.Enum {
				e = append(e, x)
			}
			if nullable {
				e = append(e, nil)
			}
			item["enum"] = e
		}
		if f.Format != "" {
			item["format"] = f.Format
		}
		if f.Unit != "" {
			item["x-unit"] = f.Unit
			item["description"] = "in " + f.Unit
		}
	default:
		return nil, fmt.Errorf("field %q has no type", f.Name)
	}
	if f.Array == nil {
		return item, nil
	}
	arr := map[string]any{"type": openAPIType("array", f.Nullable), "items": item}
	if f.Array.MinItems != catalogue.Unset {
		arr["minItems"] = f.Array.MinItems
	}
	if f.Array.MaxItems != catalogue.Unset {
		arr["maxItems"] = f.Array.MaxItems
	}
	return arr, nil
}

func openAPIType(kind string, nullable bool) any {
	if nullable {
		return []any{kind, "null"}
	}
	return kind
}

// openAPIParam is a parameter of the DIP API, named as on the wire.
type openAPIParam struct {
	in          string
	required    bool
	schema      string // a components.schemas name; "" for a plain string
	description string
}

var openAPIParams = map[string]openAPIParam{
	"id": {"path", true, "DT-000-InterfaceID",
		"The DIP channel: an interface id (IF-nnn or REP-nnn)."},
	"recipient-id": {"path", true, "DT-006-DIPParticipantID",
		"DIP id of the participant whose webhook, replay or requeue this is."},
	"message-id": {"path", true, "DT-995-SenderUniqueReference",
		"The senderUniqueReference of the message."},
	"requeue-id": {"query", false, "RequeueId",
		"Id of a requeue, as returned by the requeue request (202)."},
	"X-Continuation-Token": {"header", false, "",
		"The X-Continuation-Token of a previous 206 response, to fetch the next page."},
	"X-DIP-Signature": {"header", true, "",
		"base64 of the RSA PKCS #1 v1.5 SHA-256 signature of UPPER(method);lower(full URL);X-DIP-Signature-Date;X-DIP-Content-Hash."},
	"X-DIP-Signature-Date": {"header", true, "",
		"UTC time of signing with milliseconds, e.g. 2025-06-27T14:29:09.061Z."},
	"X-DIP-Content-Hash": {"header", true, "",
		"base64 of the SHA-256 of the exact body bytes."},
	"X-DIP-Signature-Certificate": {"header", true, "",
		"base64 of the PEM text of the signing certificate."},
	"X-DIP-MPO": {"header", false, "",
		"Optional header on deliveries from the DIP (the spec's CommonMPODetails; its content is not specified)."},
}

var openAPISignatureHeaders = []string{"X-DIP-Signature", "X-DIP-Signature-Date", "X-DIP-Content-Hash", "X-DIP-Signature-Certificate"}

func (b *openAPIBuilder) param(name string) (map[string]any, error) {
	p, ok := openAPIParams[name]
	if !ok {
		return nil, fmt.Errorf("httpapi: OpenAPI: unknown parameter %q", name)
	}
	schema := map[string]any{"type": "string"}
	if p.schema != "" {
		if err := b.ensure(p.schema); err != nil {
			return nil, err
		}
		schema = openAPIRef(p.schema)
	}
	return map[string]any{"name": name, "in": p.in, "required": p.required, "schema": schema, "description": p.description}, nil
}

func (b *openAPIBuilder) params(names ...string) ([]any, error) {
	out := make([]any, 0, len(names))
	for _, n := range names {
		p, err := b.param(n)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// openAPIResponse is one response of an operation: a JSON body of a
// components.schemas name, or no body where schema is "".
type openAPIResponse struct {
	code, schema, description string
	continuation              bool // carries X-Continuation-Token
}

var openAPIStatusText = map[string]string{
	"200": "OK", "201": "Created", "202": "Accepted", "204": "No Content", "206": "Partial Content",
	"207": "Multi-Status", "400": "Bad Request", "401": "Unauthorised Error", "403": "Forbidden",
	"404": "Not found", "405": "Method Not Allowed", "406": "Not Acceptable", "408": "Request Timeout",
	"413": "Payload Too Large", "429": "Too Many Requests", "500": "Internal Server Error",
	"502": "Bad Gateway", "503": "Service Unavailable", "504": "Gateway Timeout",
	"505": "HTTP Version Not Supported",
}

// openAPIStatus returns body-less responses with the spec's descriptions.
func openAPIStatus(codes ...string) []openAPIResponse {
	out := make([]openAPIResponse, len(codes))
	for i, c := range codes {
		out[i] = openAPIResponse{code: c}
	}
	return out
}

func openAPIResponses(rs ...[]openAPIResponse) []openAPIResponse { return slices.Concat(rs...) }

func (b *openAPIBuilder) responses(rs []openAPIResponse) (map[string]any, error) {
	out := map[string]any{}
	for _, r := range rs {
		desc := r.description
		if desc == "" {
			desc = openAPIStatusText[r.code]
		}
		resp := map[string]any{"description": desc}
		if r.schema != "" {
			if err := b.ensure(r.schema); err != nil {
				return nil, err
			}
			resp["content"] = map[string]any{"application/json": map[string]any{"schema": openAPIRef(r.schema)}}
		}
		if r.continuation {
			resp["headers"] = map[string]any{"X-Continuation-Token": map[string]any{
				"required":    false,
				"schema":      map[string]any{"type": "string"},
				"description": "Present when more messages remain: send it back as X-Continuation-Token for the next page.",
			}}
		}
		out[r.code] = resp
	}
	return out, nil
}

// openAPIEndpoint is one operation of the DIP API v2.2.1.
type openAPIEndpoint struct {
	method, path, operationID, tag, summary, description string
	params                                               []string // path, query and extra header parameters
	request                                              string   // components.schemas name of the body
	responses                                            []openAPIResponse
	callback                                             *openAPIEndpoint // webhook delivery (request and responses)
}

var (
	openAPITransportErrors = openAPIStatus("401", "403", "404", "405", "406", "408", "413", "429", "500", "502", "503", "504", "505")
	openAPIServerErrors    = openAPIStatus("500", "502", "503", "504")

	// openAPIDelivery is what the DIP POSTs to a webhook and what it expects
	// back (validation L3: 201 all accepted, 207 some, 400 none).
	openAPIDeliveryResponses = openAPIResponses([]openAPIResponse{
		{code: "201", schema: "StandardResponse", description: "Messages Created"},
		{code: "207", schema: "StandardResponse", description: "Some Messages Created"},
		{code: "400", schema: "StandardResponse"},
	}, openAPITransportErrors)
)

var openAPIEndpoints = []openAPIEndpoint{
	{
		method: "POST", path: "/dip-channel/{id}", operationID: "sendMessage", tag: "DIP Message Channel",
		summary:     "Submit a series of Interface messages",
		description: "Submits an array of messages on the channel. The response has one StandardResponse item per message: 201 when all were accepted, 207 when some were, 400 when none was.",
		params:      []string{"id"}, request: "DIPMessageArray",
		responses: openAPIResponses([]openAPIResponse{
			{code: "201", schema: "StandardResponse", description: "Messages created"},
			{code: "207", schema: "StandardResponse", description: "Some messages created"},
			{code: "400", schema: "StandardResponse"},
		}, openAPITransportErrors),
	},
	{
		method: "POST", path: "/dip-channel/{id}/pubconfig/{recipient-id}", operationID: "configurePublication",
		tag:         "DIP Channel Publication Configuration",
		summary:     "Configure DIP Channel Publication",
		description: "Registers the webhook to which the DIP delivers the channel's publications for the recipient.",
		params:      []string{"id", "recipient-id"}, request: "WebhookConfig",
		responses: openAPIResponses([]openAPIResponse{{code: "201", description: "Publication configured"}}, openAPIStatus("400", "401", "403")),
		callback:  &openAPIEndpoint{request: "DIPMessageEgressArray", responses: openAPIDeliveryResponses},
	},
	{
		method: "DELETE", path: "/dip-channel/{id}/pubconfig/{recipient-id}", tag: "DIP Channel Publication Configuration",
		summary:     "Delete existing Publication configuration",
		description: "Deletes the recipient's webhook for the channel.",
		params:      []string{"id", "recipient-id"},
		responses:   openAPIStatus("204", "401"),
	},
	{
		method: "POST", path: "/dip-channel/{id}/replay/{recipient-id}", operationID: "replayPublication",
		tag:         "DIP Channel Replay/Requeue",
		summary:     "Replay messages from a DIP Channel Publication",
		description: "Returns the recipient's publications that match the request in the response (cf. requeue). A 206 response carries X-Continuation-Token when more remain.",
		params:      []string{"id", "recipient-id", "X-Continuation-Token"}, request: "MessageRequest",
		responses: openAPIResponses([]openAPIResponse{
			{code: "200", schema: "DIPMessageEgressArray", description: "Replayed Messages"},
			{code: "206", schema: "DIPMessageEgressArray", description: "Replayed Messages - more data", continuation: true},
			{code: "400", schema: "StandardResponse"},
		}, openAPIStatus("401", "403")),
	},
	{
		method: "POST", path: "/dip-channel/{id}/requeue/{recipient-id}", operationID: "requeuePublication",
		tag:         "DIP Channel Replay/Requeue",
		summary:     "Requeue messages on DIP Channel webhook",
		description: "Redelivers the recipient's publications that match the request to its webhook, asynchronously. One requeue may run at a time per recipient (429 otherwise).",
		params:      []string{"id", "recipient-id"}, request: "MessageRequest",
		responses: openAPIResponses([]openAPIResponse{
			{code: "202", schema: "RequeueId", description: "Messages requeued"},
			{code: "400", schema: "StandardResponse"},
		}, openAPIStatus("401", "403", "429")),
	},
	{
		method: "GET", path: "/dip-channel/{id}/requeueStatus/{recipient-id}", operationID: "requeueStatus",
		tag:         "DIP Channel Replay/Requeue",
		summary:     "Reports on the status of previously submitted requeue requests",
		description: "Reports on the status of previously submitted requeue requests; a participant can submit a new request only when the current one completes.",
		params:      []string{"id", "recipient-id", "requeue-id"},
		responses: openAPIResponses([]openAPIResponse{
			{code: "200", schema: "RequeueStatusArray", description: "Requeue Information"},
			{code: "204"},
			{code: "400", schema: "StandardResponse"},
		}, openAPIStatus("401", "403", "429"), openAPIServerErrors),
	},
	{
		method: "GET", path: "/dip-channel/{id}/deliveryStatus/{recipient-id}/{message-id}", operationID: "deliveryStatus",
		tag:         "DIP Message Delivery Status",
		summary:     "Provides the processing details of the message",
		description: "Reports the journal of the message identified by its senderUniqueReference. A message purged past the DIP's retention is answered from its archive, with the response header MHHS-Journal-Source: archive YYYY-MM-DD (its day of acceptance, UTC).",
		params:      []string{"id", "recipient-id", "message-id"},
		responses: openAPIResponses([]openAPIResponse{
			{code: "200", schema: "DIPJournalRecord", description: "DIP Journalling Information"},
			{code: "204"},
			{code: "400", schema: "StandardResponse"},
		}, openAPIStatus("401", "403", "429"), openAPIServerErrors),
	},
	{
		method: "POST", path: "/statusmessage", operationID: "submitStatusMessage", tag: "Status Messages",
		summary:     "Submit a series of status messages",
		description: "Submits asynchronous (L4) status messages; the DIP forwards each to the original sender's status-message webhook.",
		request:     "StandardResponseArray",
		responses: openAPIResponses([]openAPIResponse{
			{code: "201", schema: "StandardResponse"},
			{code: "400", schema: "StandardResponse"},
		}, openAPITransportErrors),
	},
	{
		method: "POST", path: "/statusmessage/config/{recipient-id}", operationID: "postStatusMsgWebhook",
		tag:         "Status Messages",
		summary:     "Webhook to receive a series of status messages",
		description: "Registers the webhook to which the DIP delivers status messages for the recipient.",
		params:      []string{"recipient-id"}, request: "WebhookConfig",
		responses: openAPIResponses([]openAPIResponse{{code: "201", description: "Webhook configured"}}, openAPIStatus("400", "401", "403")),
		callback:  &openAPIEndpoint{request: "StandardResponseArray", responses: openAPIDeliveryResponses},
	},
	{
		method: "DELETE", path: "/statusmessage/config/{recipient-id}", tag: "Status Messages",
		summary:     "Delete existing Status Message configuration",
		description: "Deletes the recipient's status-message webhook.",
		params:      []string{"recipient-id"},
		responses:   openAPIResponses(openAPIStatus("204", "401"), openAPIServerErrors),
	},
	{
		method: "POST", path: "/statusmessage/replay/{recipient-id}", operationID: "replayStatusMessage",
		tag:         "Status Message Replay/Requeue",
		summary:     "Replay Status Messages",
		description: "Returns the recipient's status messages that match the request in the response. A 206 response carries X-Continuation-Token when more remain.",
		params:      []string{"recipient-id", "X-Continuation-Token"}, request: "StatusMessageRequest",
		responses: openAPIResponses([]openAPIResponse{
			{code: "200", schema: "StandardResponseArray", description: "Replayed Status Messages"},
			{code: "206", schema: "StandardResponseArray", description: "Replayed Status Message - more data", continuation: true},
			{code: "400", schema: "StandardResponse"},
		}, openAPIStatus("401", "403"), openAPIServerErrors),
	},
	{
		method: "POST", path: "/statusmessage/requeue/{recipient-id}", operationID: "requeueStatusMessage",
		tag:         "Status Message Replay/Requeue",
		summary:     "Requeue Status Messages",
		description: "Redelivers the recipient's status messages that match the request to its webhook, asynchronously.",
		params:      []string{"recipient-id"}, request: "StatusMessageRequest",
		responses: openAPIResponses([]openAPIResponse{
			{code: "202", schema: "RequeueId", description: "Status Messages Requeued"},
			{code: "400", schema: "StandardResponse"},
		}, openAPIStatus("401", "403", "429"), openAPIServerErrors),
	},
	{
		method: "GET", path: "/statusmessage/requeueStatus/{recipient-id}", operationID: "requeueStatusMessageStatus",
		tag:         "Status Message Replay/Requeue",
		summary:     "Reports on the status of status-message requeue requests",
		description: "Reports on the status of previously submitted status-message requeue requests.",
		params:      []string{"recipient-id", "requeue-id"},
		responses: openAPIResponses([]openAPIResponse{
			{code: "200", schema: "RequeueStatusArray", description: "Requeue Information"},
			{code: "204"},
			{code: "400", schema: "StandardResponse"},
		}, openAPIStatus("401", "403", "429"), openAPIServerErrors),
	},
}

func (b *openAPIBuilder) paths() (map[string]any, error) {
	paths := map[string]any{}
	add := func(path, method string, op map[string]any) error {
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		m := strings.ToLower(method)
		if _, dup := item[m]; dup {
			return fmt.Errorf("httpapi: OpenAPI: %s %s twice", method, path)
		}
		item[m] = op
		return nil
	}
	for i := range openAPIEndpoints {
		e := &openAPIEndpoints[i]
		op, err := b.operation(e)
		if err != nil {
			return nil, err
		}
		if err := add(e.path, e.method, op); err != nil {
			return nil, err
		}
	}
	for _, in := range b.c.Interfaces() {
		for _, v := range in.Variants {
			if v.ValidatePath == "" {
				continue
			}
			op, err := b.validateOperation(v)
			if err != nil {
				return nil, err
			}
			if err := add(v.ValidatePath, "POST", op); err != nil {
				return nil, err
			}
		}
	}
	for path, op := range openAPIExtras() {
		if err := add(path, "GET", op); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

func (b *openAPIBuilder) operation(e *openAPIEndpoint) (map[string]any, error) {
	params, err := b.params(slices.Concat(e.params, openAPISignatureHeaders)...)
	if err != nil {
		return nil, err
	}
	responses, err := b.responses(e.responses)
	if err != nil {
		return nil, err
	}
	op := map[string]any{
		"tags":        []any{e.tag},
		"summary":     e.summary,
		"description": e.description,
		"parameters":  params,
		"responses":   responses,
	}
	if e.operationID != "" {
		op["operationId"] = e.operationID
	}
	if e.request != "" {
		body, err := b.jsonBody(e.request)
		if err != nil {
			return nil, err
		}
		op["requestBody"] = body
	}
	if cb := e.callback; cb != nil {
		params, err := b.params(append(slices.Clone(openAPISignatureHeaders), "X-DIP-MPO")...)
		if err != nil {
			return nil, err
		}
		responses, err := b.responses(cb.responses)
		if err != nil {
			return nil, err
		}
		body, err := b.jsonBody(cb.request)
		if err != nil {
			return nil, err
		}
		// The spec's expression is {$request.body#/config.callbackURL}, but
		// WebhookConfig has callbackURL at its top level.
		op["callbacks"] = map[string]any{"outEvent": map[string]any{
			"{$request.body#/callbackURL}": map[string]any{"post": map[string]any{
				"summary":     "Delivery to the webhook",
				"description": "The DIP POSTs to callbackURL, signed with the X-DIP-Signature* headers. The webhook answers 201 when it accepts every item, 207 when some, 400 when none (validation L3).",
				"parameters":  params,
				"requestBody": body,
				"responses":   responses,
			}},
		}}
	}
	return op, nil
}

func (b *openAPIBuilder) jsonBody(schema string) (map[string]any, error) {
	if err := b.ensure(schema); err != nil {
		return nil, err
	}
	return map[string]any{"required": true, "content": map[string]any{
		"application/json": map[string]any{"schema": openAPIRef(schema)},
	}}, nil
}

func (b *openAPIBuilder) validateOperation(v *catalogue.Variant) (map[string]any, error) {
	name := openAPIVariantName(v)
	if _, ok := b.schemas[name]; !ok {
		return nil, fmt.Errorf("httpapi: OpenAPI: no schema for %s", name)
	}
	text := func(desc string) map[string]any {
		return map[string]any{"description": desc, "content": map[string]any{
			"application/json": map[string]any{"schema": map[string]any{"type": "string"}},
		}}
	}
	return map[string]any{
		"tags":        []any{"DIP Message Validation Endpoints"},
		"operationId": "validate-" + name,
		"summary":     fmt.Sprintf("Submit %s with Event Code %s message for validation", v.InterfaceID, v.Event()),
		"description": fmt.Sprintf("Validates messages against the %s %s schema, whatever their S0 says, for debugging only: nothing is stored or delivered.", v.InterfaceID, v.EventCode),
		"requestBody": map[string]any{"required": true, "content": map[string]any{
			"application/json": map[string]any{"schema": map[string]any{
				"type":     "array",
				"minItems": 1,
				"items": map[string]any{
					"type":       "object",
					"properties": map[string]any{"payload": openAPIRef(name)},
					"required":   []any{"payload"},
				},
			}},
		}},
		"responses": map[string]any{
			"201": text("Message OK"),
			"400": text("Bad Request"),
			"500": text("Internal Server Error"),
		},
	}, nil
}

// openAPIExtras are mhhs's own endpoints; they need no API key.
func openAPIExtras() map[string]map[string]any {
	op := func(id, summary string, responses map[string]any) map[string]any {
		return map[string]any{
			"tags":        []any{"mhhs"},
			"operationId": id,
			"summary":     summary,
			"security":    []any{},
			"responses":   responses,
		}
	}
	return map[string]map[string]any{
		"/openapi.json": op("getOpenAPI", "This OpenAPI document", map[string]any{
			"200": map[string]any{"description": "The OpenAPI 3.1 document of the mhhs DIP API", "content": map[string]any{
				"application/json": map[string]any{"schema": map[string]any{"type": "object"}},
			}},
		}),
		"/dip-certificate": op("getDIPCertificate", "The DIP's signing certificate", map[string]any{
			"200": map[string]any{"description": "The X.509 certificate (PEM) whose key signs the DIP's webhook deliveries: " +
				"a participant's webhook receiver checks X-DIP-Signature-Certificate against it", "content": map[string]any{
				"application/x-pem-file": map[string]any{"schema": map[string]any{"type": "string"}},
			}},
			"404": map[string]any{"description": "The DIP serves no certificate"},
		}),
		"/healthz": op("healthz", "Liveness: the process is serving HTTP", map[string]any{
			"200": map[string]any{"description": "Alive"},
		}),
		"/readyz": op("readyz", "Readiness: the DIP accepts traffic", map[string]any{
			"200": map[string]any{"description": "Ready"},
			"503": map[string]any{"description": "Not ready (starting or shutting down)"},
		}),
	}
}
