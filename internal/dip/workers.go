package dip

import (
	"context"
	"fmt"
	"sync"
)

// workers are the hub's goroutines after the committers: each runs until
// stop cancels its context; the first to return an error marks the group
// failed (closing failed), which makes Run shut the hub down.
type workers struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	failed chan struct{}

	mu    sync.Mutex
	first error
	names map[string]int // running workers by name, for Ready
}

func newWorkers() *workers {
	ctx, cancel := context.WithCancel(context.Background())
	return &workers{ctx: ctx, cancel: cancel, failed: make(chan struct{}), names: map[string]int{}}
}

// Go runs fn under name until stop; an error it returns fails the group.
func (w *workers) Go(name string, fn func(ctx context.Context) error) {
	w.mu.Lock()
	w.names[name]++
	w.mu.Unlock()
	w.wg.Go(func() {
		err := fn(w.ctx)
		w.mu.Lock()
		w.names[name]--
		w.mu.Unlock()
		if err != nil {
			w.fail(fmt.Errorf("%s: %w", name, err))
		}
	})
}

// fail records err (the first one counts) and marks the group failed.
func (w *workers) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.first == nil {
		w.first = err
		close(w.failed)
	}
}

// err returns the first failure, or nil.
func (w *workers) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.first
}

// running returns how many workers of each name run.
func (w *workers) running() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]int, len(w.names))
	for k, v := range w.names {
		out[k] = v
	}
	return out
}

// stop cancels every worker and waits for them.
func (w *workers) stop() {
	w.cancel()
	w.wg.Wait()
}
