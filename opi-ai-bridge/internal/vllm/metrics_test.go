package vllm

import (
	"slices"
	"strings"
	"testing"

	"github.com/opi-suite/opi/opi-ai-bridge/inference"
)

func TestParseReadsVLLMLoadMetrics(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       inference.Metrics
	}{
		{
			name: "vLLM v1 names, summed over models",
			text: `# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="a"} 3.0
vllm:num_requests_waiting{engine="0",model_name="b"} 2.0
vllm:num_requests_running{engine="0",model_name="a"} 4.0
vllm:kv_cache_usage_perc{engine="0",model_name="a"} 0.5
vllm:gpu_cache_usage_perc{engine="0",model_name="a"} 0.9
`,
			want: inference.Metrics{Waiting: 5, Running: 4, KVCacheUsage: 0.5},
		},
		{
			name: "the older KV-cache name when the new one is absent, with timestamps",
			text: "vllm:num_requests_running{model_name=\"a\"} 1 1700000000000\nvllm:gpu_cache_usage_perc{model_name=\"a\"} 0.25\n",
			want: inference.Metrics{Running: 1, KVCacheUsage: 0.25},
		},
		{
			name: "the newest LoRA info series says which adapters are loaded",
			text: `vllm:lora_requests_info{max_lora="2",running_lora_adapters="old",waiting_lora_adapters=""} 1.0e+09
vllm:lora_requests_info{max_lora="2",running_lora_adapters="sql,chat",waiting_lora_adapters="math"} 1.7e+09
`,
			want: inference.Metrics{LoRAAdapters: []string{"sql", "chat", "math"}},
		},
		{
			name: "escaped quotes and commas in labels do not break the line",
			text: `vllm:num_requests_waiting{model_name="a \"b\", c"} 7` + "\n" + `garbage line` + "\n",
			want: inference.Metrics{Waiting: 7},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			if got.Waiting != tc.want.Waiting || got.Running != tc.want.Running || got.KVCacheUsage != tc.want.KVCacheUsage ||
				!slices.Equal(got.LoRAAdapters, tc.want.LoRAAdapters) {
				t.Fatalf("Parse = %+v, want %+v", got, tc.want)
			}
		})
	}
}
