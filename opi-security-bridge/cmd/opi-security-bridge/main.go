// Command opi-security-bridge will serve the security API; it is not implemented yet.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "opi-security-bridge: not implemented yet: IPsec on strongSwan and the XDP firewall come in a later release")
	os.Exit(2)
}
