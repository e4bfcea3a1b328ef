// Command opi-storage-bridge will serve the storage API; it is not implemented yet.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "opi-storage-bridge: not implemented yet: the storage API (opi.storage.v1) served on SPDK comes in a later release")
	os.Exit(2)
}
