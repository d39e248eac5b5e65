package catalogue_test

import (
	"fmt"
	"time"

	"github.com/mhhs/mhhs/internal/catalogue"
	"github.com/mhhs/mhhs/internal/market"
)

// answerAppointment is the Registration Service's first answer to a
// supplier's appointment request (IF-031), for the metering and the data
// service twin alike: it refuses a supplier that is not the MPAN's
// (REG1021) and accepts the others, with an IF-032 addressed to the
// requesting supplier. registered returns an MPAN's current supplier.
func answerAppointment(regs *catalogue.Sender, payload []byte, registered func(market.MPAN) string) ([]byte, error) {
	p, err := catalogue.Default().Decode(payload) // validates as the DIP does
	if err != nil {
		return nil, err
	}
	req, ok := p.(catalogue.Proposal)
	if !ok || p.Variant().InterfaceID != "IF-031" {
		return nil, fmt.Errorf("%s %s is not an appointment request", p.Variant().InterfaceID, p.Variant().EventCode)
	}
	var resp catalogue.Proposal = &catalogue.IF032MSAppInitialResp{}
	if req.Proposed().Kind == catalogue.DataService {
		resp = &catalogue.IF032DSAppInitialResp{}
	}
	resp.SetProposed(req.Proposed())
	r0 := resp.Common().R0
	*r0 = catalogue.R0{ResponseCode: catalogue.ResponseCodeA, ResponseMessages: []*string{}}
	in := p.Common()
	if registered(in.M0.MPANCore) != in.S1.SenderDIPID {
		*r0 = catalogue.Rejected(catalogue.REG1021)
	}
	if err := regs.Reply(p, resp); err != nil { // S1, A0, M0, correlation
		return nil, err
	}
	out, findings, err := catalogue.EncodeValid(resp)
	if err == nil && len(findings) > 0 {
		err = &catalogue.InvalidError{Variant: resp.Variant(), Findings: findings}
	}
	return out, err
}

// Example_answerAppointment runs the handler of docs/service-author.md on
// a data service appointment from a supplier that is not the MPAN's.
func Example_answerAppointment() {
	c := catalogue.Default()
	v, _ := c.Variant("IF-031", "[DSApp]")
	request := c.Example(v, catalogue.ExampleOptions{SenderDIPID: "2300000002", SenderRole: "SUP"})
	regs := &catalogue.Sender{DIPID: "1500000001", Role: "REGS",
		Now: func() time.Time { return time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC) }}
	registered := func(market.MPAN) string { return "2300000001" }

	answer, err := answerAppointment(regs, request, registered)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, _ := c.Decode(answer)
	a := p.Common()
	fmt.Println(p.Variant().InterfaceID, p.Variant().EventCode, "to", a.A0.PrimaryRecipients)
	fmt.Println(a.R0.ResponseCode, *a.R0.ResponseMessages[0])
	// Output:
	// IF-032 [DSAppInitialResp] to [2300000002]
	// R REG1021 - Requesting Supplier is not the Current Supplier
}
