package webhook

import (
	"bytes"
	"context"
	"testing"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/participant"
)

// delivered returns a valid IF-021 payload as the DIP delivers it: with D0.
func delivered(t *testing.T, tx string, replay bool) string {
	t.Helper()
	c := catalogue.Default()
	v, _ := c.Variant("IF-021", "[ActivePower]")
	p, err := c.Decode(c.Example(v, catalogue.ExampleOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	cb := p.Common()
	*cb.D0 = catalogue.D0{TransactionID: tx, TransactionTimestamp: cb.S1.SenderTimestamp, PublicationID: "PUB-021", ReplayIndicator: replay}
	b, err := catalogue.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHandleValidatesAndMaps: the service adapter hands the handler only
// payloads the validator accepts and that came from the DIP (with D0), as
// deliveries with the DIP's transaction id, replay flag, channel, event,
// MPAN and the role the interface delivers to; the others are refused with
// their code and never reach it.
func TestHandleValidatesAndMaps(t *testing.T) {
	dipSigner := newSigner(t, "dip")
	var got []participant.Delivery
	h := participant.HandlerFunc(func(_ context.Context, ds []participant.Delivery) []catalogue.Code {
		got = append(got, ds...)
		codes := make([]catalogue.Code, len(ds))
		for i, d := range ds {
			if d.Replay {
				codes[i] = catalogue.MSG3002 // the handler's own rejection passes through
			}
		}
		return codes
	})
	good := delivered(t, "T-IF-021-1000000001-SDS-20250627-A1", false)
	replayed := delivered(t, "T-IF-021-1000000001-SDS-20250627-A2", true)
	invalid := string(bytes.Replace([]byte(good), []byte(`"MPANCore":"1200023305967"`), []byte(`"MPANCore":"1200023305960"`), 1))
	if invalid == good {
		t.Fatal("the test's edit did not apply")
	}
	rc := newReceiver(dipSigner, Handle(h, []string{"LDSO", "SUP"}))
	ts := serve(t, rc)
	res, err := (&Poster{Signer: dipSigner}).Post(t.Context(), ts.URL, array(good, invalid, replayed))
	if err != nil {
		t.Fatal(err)
	}
	msgs := messagesOf(t, res.Body)
	want := []string{catalogue.MSG0000.Message(), catalogue.MSG2001.Message(), catalogue.MSG3002.Message()}
	if len(msgs) != 3 || msgs[0] != want[0] || msgs[1] != want[1] || msgs[2] != want[2] {
		t.Errorf("answers %q, want %q", msgs, want)
	}
	if len(got) != 2 {
		t.Fatalf("the handler got %d deliveries, want the 2 valid ones", len(got))
	}
	d := got[0]
	if d.Channel != "IF-021" || d.Event != "[ActivePower]" || d.TransactionID != "T-IF-021-1000000001-SDS-20250627-A1" ||
		d.MPAN != "1200023305967" || d.Role != "LDSO" || d.Replay || string(d.Payload) != good {
		t.Errorf("delivery = %+v", d)
	}
	if !got[1].Replay {
		t.Error("the replayed delivery lost its replay flag")
	}
}

// TestHandleRefusesWhatTheDIPDidNotSend: a payload without a DIP
// transaction id did not come through the DIP and is refused.
func TestHandleRefusesWhatTheDIPDidNotSend(t *testing.T) {
	called := false
	h := participant.HandlerFunc(func(context.Context, []participant.Delivery) []catalogue.Code { called = true; return nil })
	c := catalogue.Default()
	v, _ := c.Variant("IF-021", "[ActivePower]")
	codes := Handle(h, []string{"SUP"})(t.Context(), []catalogue.Message{{Payload: c.Example(v, catalogue.ExampleOptions{})}})
	if len(codes) != 1 || codes[0] != catalogue.MSG1001 || called {
		t.Errorf("codes %v, handler called %v; want MSG1001 and no call", codes, called)
	}
}

// TestHandleRetryFailsTheBatch: a handler's Retry makes the receiver answer
// 500, so that the DIP delivers the batch again.
func TestHandleRetryFailsTheBatch(t *testing.T) {
	dipSigner := newSigner(t, "dip")
	h := participant.HandlerFunc(func(_ context.Context, ds []participant.Delivery) []catalogue.Code {
		return []catalogue.Code{participant.Retry}
	})
	ts := serve(t, newReceiver(dipSigner, Handle(h, []string{"SUP"})))
	res, err := (&Poster{Signer: dipSigner}).Post(t.Context(), ts.URL, array(delivered(t, "T-IF-021-1000000001-SDS-20250627-B1", false)))
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 500 || res.Outcome != Failed {
		t.Errorf("status %d outcome %v, want 500 Failed", res.StatusCode, res.Outcome)
	}
}
