// Command opi-model-standin runs the AI bridge's stand-in model server: an
// OpenAI-compatible API (streamed or not) and KServe's Open Inference
// Protocol over gRPC, on one port, with vLLM's load metrics, a queue, a KV
// cache and a prefix cache whose hits shorten the time to first token. It
// does no inference; it is for trying the bridge, benchmarks and demos
// without a GPU.
//
// Its image is built FROM scratch (no shell, no curl), so the command is
// also the little HTTP client its healthcheck and the end-to-end suite
// need:
//
//	opi-model-standin health HOST:PORT     exit 0 when GET /health answers 200
//	opi-model-standin get URL              print the body (e.g. /metrics)
//	opi-model-standin post URL JSON        print the answer's body as it arrives
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/opi-suite/opi/opi-ai-bridge/internal/standin"
)

func main() {
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		os.Exit(client(os.Args[1], os.Args[2:]))
	}
	var cfg standin.Config
	listen := flag.String("listen", "127.0.0.1:8000", "address to serve on")
	flag.StringVar(&cfg.Name, "name", "standin", "the name in the X-Standin-Name answer header")
	models := flag.String("models", "model", "comma-separated served model names")
	lora := flag.String("lora", "", "comma-separated LoRA adapters it has loaded")
	flag.IntVar(&cfg.MaxRunning, "max-running", 4, "requests run at once; more wait")
	flag.IntVar(&cfg.KVCapacityBlocks, "kv-blocks", 4096, "KV-cache size in 64-byte prompt blocks")
	flag.IntVar(&cfg.PrefixCacheBlocks, "prefix-blocks", 1024, "prefix-cache size in blocks")
	flag.DurationVar(&cfg.PrefillPerBlock, "prefill-per-block", time.Millisecond, "prefill time of each uncached prompt block")
	flag.DurationVar(&cfg.TokenInterval, "token-interval", time.Millisecond, "time between output tokens")
	flag.Parse()
	cfg.Models = strings.Split(*models, ",")
	if *lora != "" {
		cfg.LoRAAdapters = strings.Split(*lora, ",")
	}
	s := standin.New(cfg)
	if err := s.Start(*listen); err != nil {
		fmt.Fprintln(os.Stderr, "opi-model-standin:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "opi-model-standin %s: serving %s on %s\n", cfg.Name, *models, s.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	s.Kill()
}

// client runs one of the client subcommands and returns the exit status:
// 0 for a 2xx answer read to its end, 1 otherwise, 2 for bad usage.
func client(cmd string, args []string) int {
	var req *http.Request
	var err error
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	switch {
	case cmd == "health" && len(args) == 1:
		ctx, cancel = context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, "http://"+args[0]+"/health", nil)
	case cmd == "get" && len(args) == 1:
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, args[0], nil)
	case cmd == "post" && len(args) == 2:
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, args[0], strings.NewReader(args[1]))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: opi-model-standin [flags] | health HOST:PORT | get URL | post URL JSON")
		return 2
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "opi-model-standin:", err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "opi-model-standin:", err)
		return 1
	}
	defer resp.Body.Close()
	if name := resp.Header.Get("X-Standin-Name"); name != "" && cmd != "health" {
		fmt.Fprintln(os.Stderr, "served by:", name)
	}
	out := io.Writer(os.Stdout)
	if cmd == "health" {
		out = io.Discard
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		fmt.Fprintln(os.Stderr, "opi-model-standin: reading the answer:", err)
		return 1
	}
	if resp.StatusCode/100 != 2 {
		fmt.Fprintf(os.Stderr, "opi-model-standin: HTTP %d\n", resp.StatusCode)
		return 1
	}
	return 0
}
