// Command opi-ai-bridge serves the AI API (opi.ai.v1): the accelerators of
// this machine and inference pools, and the OpenAI-compatible inference
// proxy in front of the pools' model servers.
package main

import (
	"github.com/opi-suite/opi/opi-ai-bridge/bridge"
	"github.com/opi-suite/opi/opi-kit/server"
)

func main() { server.Main(bridge.Program()) }
