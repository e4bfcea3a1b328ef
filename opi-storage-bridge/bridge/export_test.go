package bridge

import (
	"testing"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

// ContractChecked records every request a bridge sends to SPDK and checks
// each against SPDK's contract when t ends, as the fixture does; the
// conformance tests (package bridge_test, since storagetest imports this
// package) pass it to the suite.
func ContractChecked(t testing.TB) spdk.Option {
	r := &recorder{}
	t.Cleanup(func() { r.check(t) })
	return spdk.WithObserver(r.observe)
}
