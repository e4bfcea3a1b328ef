// Command opi-ai-bridge will serve the AI/ML API; it is not implemented yet.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "opi-ai-bridge: not implemented yet: accelerator inventory and inference traffic steering come in a later release")
	os.Exit(2)
}
