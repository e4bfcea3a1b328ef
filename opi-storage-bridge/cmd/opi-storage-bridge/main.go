// Command opi-storage-bridge serves the OPI storage API (opi.storage.v1) on
// SPDK: it keeps the user's intent in its state directory, turns it into
// SPDK JSON-RPC calls on SPDK's unix socket, and replays it whenever SPDK
// or the bridge restarts.
package main

import (
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-storage-bridge/bridge"
)

func main() { server.Main(bridge.Program()) }
