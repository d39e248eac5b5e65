package catalogue

import "strings"

// flowEntry is a request variant's answers and follow-ups, as "IF-032
// [MSAppInitialResp]" keys (generated from gen/flows.go).
type flowEntry struct{ answers, followUps []string }

// Answer is a payload that answers requests of type Req: the generated
// answer types implement it for the one request variant they answer
// (IF032MSAppInitialResp answers *IF031MSApp), so that ReplyTo with the
// wrong answer does not compile.
type Answer[Req Payload] interface {
	Payload
	answers(Req)
}

// Answers returns the variants that answer v back to its sender (IF-031
// [MSApp] is answered by IF-032 [MSAppInitialResp]), and FollowUps those its
// recipient sends on to others because of it (IF-033 [MSAppSPRequest] to
// the proposed service provider). Both come from the Interface Catalogue's
// flows as docs/catalogue.md lists them; nil where v is not a request.
func (c *Catalogue) Answers(v *Variant) []*Variant { return c.variantsOf(flowTable[v.Key()].answers) }

// FollowUps returns the variants v's recipient sends on to others; see
// Answers.
func (c *Catalogue) FollowUps(v *Variant) []*Variant {
	return c.variantsOf(flowTable[v.Key()].followUps)
}

func (c *Catalogue) variantsOf(keys []string) []*Variant {
	var out []*Variant
	for _, k := range keys {
		id, ev, _ := strings.Cut(k, " ")
		if v, ok := c.Variant(id, ev); ok {
			out = append(out, v)
		}
	}
	return out
}

// Key names the variant as the flows do: "IF-032 [MSAppInitialResp]".
func (v *Variant) Key() string { return v.InterfaceID + " " + v.EventCode }

// Answering returns the request variant v answers, if v is an answer (IF-032
// [MSAppInitialResp] answers IF-031 [MSApp]).
func (c *Catalogue) Answering(v *Variant) (*Variant, bool) {
	for req, f := range flowTable {
		for _, a := range f.answers {
			if a == v.Key() {
				id, ev, _ := strings.Cut(req, " ")
				return c.Variant(id, ev)
			}
		}
	}
	return nil, false
}
