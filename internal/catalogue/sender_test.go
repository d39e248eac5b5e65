package catalogue

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mhhs/mhhs/internal/market"
)

func fixedClock() func() time.Time {
	t := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	return func() time.Time { return t }
}

func TestStampMakesValidUniqueReferences(t *testing.T) {
	s := &Sender{DIPID: "2300000001", Role: "SUP", Now: fixedClock()}
	v, _ := Default().Variant("IF-031", "[MSApp]")
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		p, err := Default().Decode(Default().Example(v, ExampleOptions{}))
		if err != nil {
			t.Fatal(err)
		}
		s.Stamp(p)
		b, findings, err := EncodeValid(p)
		if err != nil || len(findings) > 0 {
			t.Fatalf("stamped message invalid: %v %v\n%s", err, findings, b)
		}
		c := p.Common()
		ref := c.S1.SenderUniqueReference
		if seen[ref] {
			t.Fatalf("reference %s made twice", ref)
		}
		seen[ref] = true
		if c.S1.SenderDIPID != "2300000001" || c.S1.SenderRoleID != "SUP" || c.S1.EnvironmentTag != EnvironmentDEV ||
			c.S1.SenderTimestamp.String() != "2026-03-04T10:00:00+00:00" || !strings.HasPrefix(ref, "S-IF-031-2300000001-SUP-20260304-") {
			t.Fatalf("S1 = %+v", *c.S1)
		}
	}
}

func TestStampKeyIsDeterministic(t *testing.T) {
	s := &Sender{DIPID: "2300000001", Role: "SUP"}
	day := time.Date(2026, 3, 4, 23, 30, 0, 0, time.UTC)
	a, b := &IF031MSApp{}, &IF031MSApp{}
	s.StampKey(a, day, Key("request", "1"))
	s.StampKey(b, day, Key("request", "1"))
	if a.CommonBlock.S1.SenderUniqueReference != b.CommonBlock.S1.SenderUniqueReference {
		t.Errorf("same key, different references: %s %s", a.CommonBlock.S1.SenderUniqueReference, b.CommonBlock.S1.SenderUniqueReference)
	}
	s.StampKey(b, day, Key("request", "2"))
	if a.CommonBlock.S1.SenderUniqueReference == b.CommonBlock.S1.SenderUniqueReference {
		t.Error("different keys, same reference")
	}
	if Key("a", "bc") == Key("ab", "c") {
		t.Error("Key does not separate its parts")
	}
}

// request returns an IF-031 [MSApp] as REGS receives it: sent by a supplier
// and delivered by the DIP with D0.
func request(t *testing.T) *IF031MSApp {
	t.Helper()
	v, _ := Default().Variant("IF-031", "[MSApp]")
	p, err := Default().Decode(Default().Example(v, ExampleOptions{SenderDIPID: "2300000001", SenderRole: "SUP"}))
	if err != nil {
		t.Fatal(err)
	}
	m := p.(*IF031MSApp)
	corr := "conversation-7"
	m.CommonBlock.S1.SenderCorrelationID = &corr
	m.CommonBlock.D0 = D0{TransactionID: "T-IF-031-2300000001-SUP-20260304-0123456789ABCDEF0123",
		TransactionTimestamp: market.At(time.Date(2026, 3, 4, 10, 0, 1, 0, time.UTC)), PublicationID: "PUB-031"}
	return m
}

func TestReplyTo(t *testing.T) {
	in := request(t)
	regs := &Sender{DIPID: "1500000001", Role: "REGS", Now: fixedClock()}
	resp := &IF032MSAppInitialResp{}
	resp.CustomBlock.B070 = in.CustomBlock.B070
	resp.CommonBlock.R0 = R0{ResponseCode: ResponseCodeA, ResponseMessages: []*string{}}
	if err := ReplyTo(regs, in, resp); err != nil {
		t.Fatal(err)
	}
	c := resp.Common()
	if got := c.A0.PrimaryRecipients; len(got) != 1 || got[0] != "2300000001" {
		t.Errorf("addressed to %q, want the requesting supplier", got)
	}
	if c.M0.MPANCore != in.CommonBlock.M0.MPANCore || c.M0.DistributorDIPID != in.CommonBlock.M0.DistributorDIPID {
		t.Errorf("M0 = %+v, want the request's", *c.M0)
	}
	if c.S1.SenderCorrelationID == nil || *c.S1.SenderCorrelationID != "conversation-7" {
		t.Errorf("correlation = %v, want the request's", c.S1.SenderCorrelationID)
	}
	if !strings.HasPrefix(c.S1.SenderUniqueReference, "S-IF-032-1500000001-REGS-20260304-") {
		t.Errorf("reference %s", c.S1.SenderUniqueReference)
	}
	if _, findings, err := EncodeValid(resp); err != nil || len(findings) > 0 {
		t.Errorf("reply invalid: %v %v", err, findings)
	}
	// Answering the same request again makes the same reference, so the DIP
	// delivers one answer however often a crashed service answers.
	again := &IF032MSAppInitialResp{}
	if err := ReplyTo(regs, in, again); err != nil {
		t.Fatal(err)
	}
	if again.CommonBlock.S1.SenderUniqueReference != c.S1.SenderUniqueReference {
		t.Errorf("second answer has reference %s, first %s", again.CommonBlock.S1.SenderUniqueReference, c.S1.SenderUniqueReference)
	}
	other := request(t)
	other.CommonBlock.D0.TransactionID = strings.Replace(other.CommonBlock.D0.TransactionID, "0123", "9999", 1)
	third := &IF032MSAppInitialResp{}
	ReplyTo(regs, other, third)
	if third.CommonBlock.S1.SenderUniqueReference == c.S1.SenderUniqueReference {
		t.Error("answers to different requests share a reference")
	}
}

func TestReplyChecksTheFlowAtRunTime(t *testing.T) {
	in := request(t)
	regs := &Sender{DIPID: "1500000001", Role: "REGS"}
	if err := regs.Reply(in, &IF032DSAppInitialResp{}); !errors.Is(err, ErrNotAnAnswer) {
		t.Errorf("DS answer to an MS request: %v, want ErrNotAnAnswer", err)
	}
	if err := regs.Reply(in, &IF032MSAppInitialResp{}); err != nil {
		t.Errorf("right answer refused: %v", err)
	}
	v, _ := Default().Variant("IF-031", "[MSApp]")
	var got []string
	for _, a := range Default().Answers(v) {
		got = append(got, a.InterfaceID+" "+a.EventCode)
	}
	for _, f := range Default().FollowUps(v) {
		got = append(got, "then "+f.InterfaceID+" "+f.EventCode)
	}
	if strings.Join(got, ", ") != "IF-032 [MSAppInitialResp], then IF-033 [MSAppSPRequest]" {
		t.Errorf("IF-031 [MSApp] flows: %v", got)
	}
}

// TestWrongAnswerDoesNotCompile builds two small programs: ReplyTo with
// IF-031 [MSApp] and its answer compiles; with the DS variant's answer it
// does not.
func TestWrongAnswerDoesNotCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the compiler")
	}
	if out, err := exec.Command("go", "build", "-o", t.TempDir()+"/right", "./testdata/answers/right").CombinedOutput(); err != nil {
		t.Fatalf("the right answer does not compile: %v\n%s", err, out)
	}
	out, err := exec.Command("go", "build", "-o", t.TempDir()+"/wrong", "./testdata/answers/wrong").CombinedOutput()
	if err == nil {
		t.Fatal("answering IF-031 [MSApp] with IF-032 [DSAppInitialResp] compiled")
	}
	if !strings.Contains(string(out), "does not satisfy") {
		t.Errorf("the wrong answer failed for another reason:\n%s", out)
	}
}
