// Command opi manages DPUs, IPUs and their hosts through the OPI services.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/opi-suite/opi/opi-cli/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Execute(ctx, cli.SystemStreams(), os.Args[1:])
	stop()
	os.Exit(code)
}
