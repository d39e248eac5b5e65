// Command right answers an IF-031 [MSApp] with IF-032 [MSAppInitialResp]:
// it must compile (TestWrongAnswerDoesNotCompile).
package main

import "github.com/mhhs/mhhs/internal/catalogue"

func main() {
	s := &catalogue.Sender{DIPID: "1500000001", Role: "REGS"}
	_ = catalogue.ReplyTo(s, &catalogue.IF031MSApp{}, &catalogue.IF032MSAppInitialResp{})
}
