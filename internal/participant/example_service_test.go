package participant_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/dip"
	"github.com/mhhs/mhhs/internal/participant"
	"github.com/mhhs/mhhs/internal/sqlite"
)

// acceptor answers every metering service appointment request with an
// IF-032 acceptance. The answer is queued in the transaction that records
// the request (a redelivery changes nothing) and the relay sends it; its
// reference is derived from the request, so a resend after a crash is
// refused by the DIP as a duplicate.
type acceptor struct {
	store participant.Store
	regs  *catalogue.Sender
	relay *participant.Relay
}

func (a *acceptor) Channels() []string { return []string{"IF-031"} }

func (a *acceptor) Handle(ctx context.Context, ds []participant.Delivery) []catalogue.Code {
	codes := make([]catalogue.Code, len(ds))
	for i, d := range ds {
		p, err := d.Decode()
		req, ok := p.(*catalogue.IF031MSApp)
		if err != nil || !ok {
			codes[i] = catalogue.MSG1001
			continue
		}
		resp := &catalogue.IF032MSAppInitialResp{}
		resp.CustomBlock.B070 = req.CustomBlock.B070
		resp.CommonBlock.R0 = catalogue.R0{ResponseCode: catalogue.ResponseCodeA, ResponseMessages: []*string{}}
		err = catalogue.ReplyTo(a.regs, req, resp)
		codes[i] = participant.Retry
		if body, err2 := catalogue.Encode(resp); err == nil && err2 == nil {
			if _, err := a.store.Apply(ctx, d.TransactionID, func(tx participant.Tx) error { return tx.Queue("IF-032", body) }); err == nil {
				codes[i] = participant.Accept
			}
		}
	}
	a.relay.Wake()
	return codes
}

func (a *acceptor) Run(ctx context.Context, s participant.Sender) error { return a.relay.Run(ctx, s) }

// Example_service runs the acceptor inside a DIP hub on SQLite, with a
// supplier that records what it receives: the supplier's IF-031 reaches the
// acceptor by a function call, and its answer comes back through the DIP.
func Example_service() {
	dir, _ := os.MkdirTemp("", "mhhs-example-")
	defer os.RemoveAll(dir)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	db, _ := sqlite.Open(ctx, filepath.Join(dir, "mhhs.db"))
	defer db.Close()
	svcs, _ := sqlite.OpenServices(ctx, filepath.Join(dir, "services.db"))
	defer svcs.Close()
	const regsID, supID = "1500000001", "2300000001"
	db.PutParticipant(ctx, dip.Participant{DIPID: regsID, Roles: []string{"REGS"}})
	db.PutParticipant(ctx, dip.Participant{DIPID: supID, Roles: []string{"SUP"}})

	store := svcs.Store("acceptor")
	acc := &acceptor{store: store, regs: &catalogue.Sender{DIPID: regsID, Role: "REGS"}, relay: participant.NewRelay(store, nil)}
	answers := make(chan participant.Delivery, 1)
	supplier := participant.HandlerFunc(func(_ context.Context, ds []participant.Delivery) []catalogue.Code {
		for _, d := range ds {
			answers <- d
		}
		return nil
	})
	hub := dip.NewHub(db, dip.Config{PollInterval: 10 * time.Millisecond, Services: []dip.LocalService{
		{DIPID: regsID, Handler: acc, Channels: acc.Channels()},
		{DIPID: supID, Handler: supplier, Channels: []string{"IF-032"}},
	}})
	go hub.Run(ctx)
	go acc.Run(ctx, hub.Sender(regsID))

	c := catalogue.Default()
	v, _ := c.Variant("IF-031", "[MSApp]")
	req, _ := c.Decode(c.Example(v, catalogue.ExampleOptions{SenderDIPID: supID, SenderRole: "SUP"}))
	catalogue.To(req, regsID)
	(&catalogue.Sender{DIPID: supID, Role: "SUP"}).Stamp(req)
	verdicts, err := participant.SendTyped(ctx, hub.Sender(supID), "IF-031", req)
	fmt.Println("IF-031:", verdicts[0].Code.Message(), err)
	select {
	case d := <-answers:
		p, _ := d.Decode()
		fmt.Println("the supplier received", d.Channel, d.Event, "as", d.Role, "answering", *p.Common().S1.SenderCorrelationID == req.Common().S1.SenderUniqueReference)
	case <-time.After(10 * time.Second):
		fmt.Println("no answer")
	}
	// Output:
	// IF-031: MSG0000 - Success <nil>
	// the supplier received IF-032 [MSAppInitialResp] as SUP answering true
}
