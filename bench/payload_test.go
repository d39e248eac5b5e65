package bench

import (
	"bytes"
	"testing"

	"github.com/mhhs/mhhs/internal/catalogue"
)

func TestIF021MessageIsValid(t *testing.T) {
	val := catalogue.NewValidator(nil)
	for _, i := range []int{0, 1, 9, 10, 255, 4096, 123456789, 1e10 - 1, 1e10 + 7, 1<<62 + 3} {
		body := IF021Message(i)
		want, err := BuildIF021(i)
		if err != nil {
			t.Fatalf("BuildIF021(%d): %v", i, err)
		}
		if !bytes.Equal(body, want) {
			t.Fatalf("IF021Message(%d) differs from BuildIF021(%d):\n%s\n%s", i, i, body, want)
		}
		verdicts, err := val.ValidateArray("IF-021", body)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if len(verdicts) != 1 || !verdicts[0].OK() {
			t.Fatalf("message %d rejected: %+v", i, verdicts)
		}
	}
}

func TestIF021MessageShape(t *testing.T) {
	a, b := IF021Message(1), IF021Message(2)
	if len(a) < 4500 || len(a) > 6000 {
		t.Errorf("message is %d bytes, want about 5 KB", len(a))
	}
	if len(a) != len(b) {
		t.Errorf("messages 1 and 2 differ in length: %d, %d", len(a), len(b))
	}
	if n := bytes.Count(a, []byte(`"sp":`)); n != 48 {
		t.Errorf("%d periods, want 48", n)
	}
	verdicts, err := catalogue.NewValidator(nil).ValidateArray("IF-021", a)
	if err != nil || len(verdicts) != 1 {
		t.Fatal(err, verdicts)
	}
	env1 := verdicts[0].Envelope
	verdicts, _ = catalogue.NewValidator(nil).ValidateArray("IF-021", b)
	env2 := verdicts[0].Envelope
	if env1.SenderUniqueReference == env2.SenderUniqueReference {
		t.Errorf("messages 1 and 2 share senderUniqueReference %s", env1.SenderUniqueReference)
	}
	if env1.MPAN == env2.MPAN {
		t.Errorf("messages 1 and 2 share MPAN %s", env1.MPAN)
	}
	t.Logf("%d bytes; message 1: %s", len(a), env1.SenderUniqueReference)
}

func TestAppendIF021MessageReusesBuffer(t *testing.T) {
	buf := IF021Message(0)
	if n := testing.AllocsPerRun(100, func() { buf = AppendIF021Message(buf, 42) }); n != 0 {
		t.Errorf("AppendIF021Message allocates %v times", n)
	}
	if !bytes.Equal(buf, IF021Message(42)) {
		t.Error("reused buffer holds the wrong message")
	}
}
