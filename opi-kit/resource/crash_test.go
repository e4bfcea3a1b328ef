package resource_test

import "runtime"

// crashNow ends the goroutine the way SIGKILL ends a process: no commit, no
// rollback, nothing after this point runs (deferred unlocks aside, which a
// dead process does not need).
func crashNow() { runtime.Goexit() }

// runUntilCrash runs op in its own goroutine so that crashNow can end it.
func runUntilCrash(op func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		op()
	}()
	<-done
}
