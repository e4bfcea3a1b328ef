// Command opi-security-bridge serves the OPI security API: IPsec on
// strongSwan through VICI (opi.security.v1.IpsecService) and a firewall in
// XDP (opi.security.v1.FirewallService). The bridge itself is the package
// bridge, so that a vendor's command can replace one backend and keep the
// rest.
package main

import (
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-security-bridge/bridge"
)

func main() { server.Main(bridge.Program()) }
