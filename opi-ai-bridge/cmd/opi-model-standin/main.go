// Command opi-model-standin runs the AI bridge's stand-in model server: an
// OpenAI-compatible API (streamed or not) and KServe's Open Inference
// Protocol over gRPC, on one port, with vLLM's load metrics, a
// queue, a KV cache and a prefix cache whose hits shorten the time to first
// token. It does no inference; it is for trying the bridge, benchmarks and
// demos without a GPU.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/opi-suite/opi/opi-ai-bridge/internal/standin"
)

func main() {
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
