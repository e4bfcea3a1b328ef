// Command opi-provisioning serves the provisioning and lifecycle APIs of a
// machine. Today that is the host inventory (opi.inventory.v1); secure
// zero-touch provisioning and telemetry come later.
package main

import (
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-provisioning/bridge"
)

func main() { server.Main(bridge.Program()) }
