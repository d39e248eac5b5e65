// Command wrong answers an IF-031 [MSApp] with the DS variant of IF-032: it
// must not compile (TestWrongAnswerDoesNotCompile).
package main

import "github.com/mhhs/mhhs/internal/catalogue"

func main() {
	s := &catalogue.Sender{DIPID: "1500000001", Role: "REGS"}
	_ = catalogue.ReplyTo(s, &catalogue.IF031MSApp{}, &catalogue.IF032DSAppInitialResp{})
}
