// Command opi-vendor-nvme-bridge is the storage bridge of the example
// vendor: the shipped bridge with NVMe/TCP controllers realised by
// package vendornvme. It takes the storage bridge's flags.
package main

import (
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-storage-bridge/bridge"
	vendornvme "github.com/opi-suite/opi/opi-storage-bridge/examples/vendor-nvme"
)

func main() { server.Main(bridge.Program(vendornvme.Options()...)) }
