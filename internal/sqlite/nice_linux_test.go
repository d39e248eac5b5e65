package sqlite

import (
	"syscall"
	"testing"
)

// TestLowerPriority: the indexer's thread runs at nice indexNice.
func TestLowerPriority(t *testing.T) {
	got := make(chan int)
	go func() {
		lowerPriority()
		// Linux's getpriority returns 20 - nice.
		p, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
		if err != nil {
			t.Error(err)
		}
		got <- 20 - p
	}()
	if nice := <-got; nice != indexNice {
		t.Errorf("indexer thread at nice %d, want %d", nice, indexNice)
	}
}
