// Command opi-network-bridge will serve the networking API; it is not implemented yet.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "opi-network-bridge: not implemented yet: the networking API (netlink, EVPN with FRR) comes in a later release")
	os.Exit(2)
}
