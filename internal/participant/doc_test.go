package participant_test

import (
	"os"
	"strings"
	"testing"
)

// TestArchitectureShowsTheTestedService: the example service in
// ARCHITECTURE.md is the one Example_service compiles and runs.
func TestArchitectureShowsTheTestedService(t *testing.T) {
	src, err := os.ReadFile("example_service_test.go")
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	i, j := strings.Index(s, "// acceptor answers every metering"), strings.Index(s, "// Example_service runs")
	if i < 0 || j < i {
		t.Fatal("the example service is not in example_service_test.go")
	}
	code := strings.TrimRight(s[i:j], "\n") + "\n"
	doc, err := os.ReadFile("../../ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```go\n"+code+"```") {
		t.Error("ARCHITECTURE.md does not show the service of example_service_test.go verbatim: copy it over")
	}
	if n := strings.Count(code, "\n"); n > 50 {
		t.Errorf("the example is %d lines", n)
	}
}
