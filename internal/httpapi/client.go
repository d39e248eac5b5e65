package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/market"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/regs"
	"github.com/mhhs/mhhs/internal/signature"
)

// Client calls a DIP's API as one participant: every request carries the
// participant's X-API-Key and is signed with its key.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	APIKey  string
	Signer  *signature.Signer
	HTTP    *http.Client // default http.DefaultClient
}

// Response is a DIP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// StandardResponse decodes the body as a StandardResponse.
func (r *Response) StandardResponse() (catalogue.StandardResponse, error) {
	var sr catalogue.StandardResponse
	err := json.Unmarshal(r.Body, &sr)
	return sr, err
}

// Do sends a signed request to path (which starts with /).
func (c *Client) Do(ctx context.Context, method, path string, body []byte, header http.Header) (*Response, error) {
	url := strings.TrimSuffix(c.BaseURL, "/") + path
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", c.APIKey)
	if c.Signer != nil {
		if err := c.Signer.SignRequest(req, body); err != nil {
			return nil, err
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// Send posts a message array to a channel (POST /dip-channel/{id}).
func (c *Client) Send(ctx context.Context, channel string, body []byte) (*Response, error) {
	return c.Do(ctx, http.MethodPost, "/dip-channel/"+channel, body, nil)
}

// ConfigureWebhook sets the caller's webhook for a channel
// (POST /dip-channel/{id}/pubconfig/{recipient-id}); channel "statusmessage"
// configures the status-message webhook.
func (c *Client) ConfigureWebhook(ctx context.Context, channel, recipient, callbackURL string) error {
	body, _ := json.Marshal(map[string]any{"callbackURL": callbackURL})
	path := "/dip-channel/" + channel + "/pubconfig/" + recipient
	if channel == "statusmessage" {
		path = "/statusmessage/config/" + recipient
	}
	resp, err := c.Do(ctx, http.MethodPost, path, body, nil)
	if err != nil {
		return err
	}
	if resp.Status != http.StatusCreated {
		return fmt.Errorf("configure webhook: %d %s", resp.Status, truncate(resp.Body, 500))
	}
	return nil
}

// RemoveWebhook removes the caller's webhook for a channel
// (DELETE /dip-channel/{id}/pubconfig/{recipient-id}); channel
// "statusmessage" removes the status-message webhook. Its messages on the
// channel wait at the DIP until a webhook is configured again.
func (c *Client) RemoveWebhook(ctx context.Context, channel, recipient string) error {
	path := "/dip-channel/" + channel + "/pubconfig/" + recipient
	if channel == "statusmessage" {
		path = "/statusmessage/config/" + recipient
	}
	resp, err := c.Do(ctx, http.MethodDelete, path, nil, nil)
	if err != nil {
		return err
	}
	if resp.Status != http.StatusNoContent {
		return fmt.Errorf("remove webhook: %d %s", resp.Status, truncate(resp.Body, 500))
	}
	return nil
}

// DeliveryStatus returns the journal of the caller's message by its
// senderUniqueReference; ok is false when the DIP has none (204).
func (c *Client) DeliveryStatus(ctx context.Context, channel, recipient, sur string) (rec catalogue.DIPJournalRecord, ok bool, err error) {
	resp, err := c.Do(ctx, http.MethodGet, "/dip-channel/"+channel+"/deliveryStatus/"+recipient+"/"+sur, nil, nil)
	if err != nil {
		return rec, false, err
	}
	switch resp.Status {
	case http.StatusNoContent:
		return rec, false, nil
	case http.StatusOK:
		return rec, true, json.Unmarshal(resp.Body, &rec)
	}
	return rec, false, fmt.Errorf("deliveryStatus: %d %s", resp.Status, resp.Body)
}

// Sender returns the participant.Sender of the client's participant: Send
// posts the payloads on the channel as one message array and reads the
// DIP's StandardResponse into one verdict per message. A transport error,
// or an answer that is not one item per message (a 401, 413 or 500 for the
// whole request), is an error: nothing may have been accepted, or all.
func (c *Client) Sender() participant.Sender { return clientSender{c} }

type clientSender struct{ c *Client }

func (s clientSender) Send(ctx context.Context, channel string, payloads ...[]byte) ([]participant.Verdict, error) {
	resp, err := s.c.Send(ctx, channel, dip.EgressArray(payloads))
	if err != nil {
		return nil, err
	}
	sr, err := resp.StandardResponse()
	if err != nil || sr.MessageArray == nil || len(*sr.MessageArray) != len(payloads) {
		return nil, fmt.Errorf("httpapi: the DIP answered HTTP %d: %s", resp.Status, truncate(resp.Body, 500))
	}
	out := make([]participant.Verdict, len(payloads))
	for i, it := range *sr.MessageArray {
		v := participant.Verdict{Code: codeOf(it.Message)}
		if it.TransactionID != nil {
			v.TransactionID = *it.TransactionID
		}
		if it.SenderUniqueReference != nil {
			v.SenderUniqueReference = *it.SenderUniqueReference
		}
		if it.Help != nil {
			v.Detail = *it.Help
		}
		out[i] = v
	}
	return out, nil
}

// codeOf reads the MSG code of a StandardResponse message ("MSG0000 -
// Success").
func codeOf(msg *string) catalogue.Code {
	if msg == nil {
		return catalogue.MSG5001
	}
	code, _, _ := strings.Cut(*msg, " ")
	return catalogue.Code(code)
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// Certificate fetches the DIP's signing certificate (GET /dip-certificate),
// the one its webhook deliveries are signed with, in PEM. The request is
// not signed: the certificate is public.
func (c *Client) Certificate(ctx context.Context) ([]byte, error) {
	resp, err := (&Client{BaseURL: c.BaseURL, HTTP: c.HTTP}).Do(ctx, http.MethodGet, "/dip-certificate", nil, nil)
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, fmt.Errorf("GET /dip-certificate: %d %s", resp.Status, truncate(resp.Body, 200))
	}
	return resp.Body, nil
}

// Registration asks REGS, through the DIP's API, for an MPAN's
// registration as at day (zero: today): GET /regs/registrations/{mpan}.
// A refusal (403 for an MPAN the participant is not a party of) is an
// error carrying the DIP's answer.
func (c *Client) Registration(ctx context.Context, mpan market.MPAN, day market.SettlementDate) (regs.Snapshot, error) {
	path := "/regs/registrations/" + string(mpan)
	if !day.IsZero() {
		path += "?at=" + day.String()
	}
	var snap regs.Snapshot
	resp, err := c.Do(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return snap, err
	}
	if resp.Status != http.StatusOK {
		return snap, fmt.Errorf("registration %s: %d %s", mpan, resp.Status, truncate(resp.Body, 500))
	}
	return snap, json.Unmarshal(resp.Body, &snap)
}
