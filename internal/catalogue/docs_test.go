package catalogue

import (
	"os"
	"strings"
	"testing"
)

// TestServiceAuthorDocShowsTheTestedHandler: the worked example in
// docs/service-author.md is the handler the tests compile and run.
func TestServiceAuthorDocShowsTheTestedHandler(t *testing.T) {
	src, err := os.ReadFile("handler_example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	i, j := strings.Index(s, "// answerAppointment is"), strings.Index(s, "// Example_answerAppointment")
	if i < 0 || j < i {
		t.Fatal("handler not found in handler_example_test.go")
	}
	handler := strings.TrimRight(s[i:j], "\n") + "\n"
	doc, err := os.ReadFile("../../docs/service-author.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```go\n"+handler+"```") {
		t.Error("docs/service-author.md does not show the handler of handler_example_test.go verbatim: copy it over")
	}
	if n := strings.Count(handler, "\n"); n > 45 {
		t.Errorf("the worked example is %d lines; keep it near 40", n)
	}
}
