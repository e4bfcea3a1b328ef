// Command opi-network-bridge serves the network API: an EVPN gateway on the
// Linux kernel (netlink) and FRR. See the module's README.
package main

import (
	"github.com/opi-suite/opi/opi-kit/server"

	"github.com/opi-suite/opi/opi-network-bridge/bridge"
)

func main() { server.Main(bridge.Program()) }
