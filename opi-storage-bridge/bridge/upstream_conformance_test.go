package bridge_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/opi-suite/opi/opi-storage-bridge/bridge"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/storagetest"
	"github.com/opi-suite/opi/opi-storage-bridge/upstreamtest"
)

// Upstream OPI's storage API, served beside the native one, passes the
// upstream conformance suite on both SPDKs, every request checked against
// SPDK's contract as in the native suite.

func runUpstream(t *testing.T, target *storagetest.Target) {
	h := storagetest.Start(t, storagetest.Config{Target: target, SPDKOptions: []spdk.Option{bridge.ContractChecked(t)}})
	file := filepath.Join(t.TempDir(), "aio.img")
	if err := os.WriteFile(file, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	upstreamtest.Run(t, upstreamtest.Config{Conn: h.Conn, AioFile: file, Port: storagetest.FreePort})
}

func TestUpstreamConformanceOnSpdkSim(t *testing.T) { runUpstream(t, storagetest.Sim(t)) }

func TestUpstreamConformanceOnSpdkTgt(t *testing.T) { runUpstream(t, storagetest.SPDK(t)) }
