package sqlite

import (
	"runtime"
	"syscall"
)

// lowerPriority pins the calling goroutine to its OS thread and lowers that
// thread's scheduling priority (nice +indexNice): the indexer then takes the
// CPU the intake path leaves, instead of holding it for the milliseconds of
// an index transaction while a group commit's writer or submitters wait.
func lowerPriority() {
	runtime.LockOSThread()
	syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), indexNice)
}
