package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/opi-suite/opi/opi-ai-bridge/internal/oip/inferencepb"
	"github.com/opi-suite/opi/opi-ai-bridge/internal/standin"
)

// running is the command started by run, with the addresses its log
// lines name.
type running struct {
	cmd               *exec.Cmd
	grpc, http, proxy string
	oip               string
	exited            chan error
}

// run starts the built command on loopback ports the kernel picks and
// waits for its "serving" and "inference proxy listening" log lines.
func run(t *testing.T, bin, state string) *running {
	t.Helper()
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--inference-listen", "127.0.0.1:0", "--oip-listen", "127.0.0.1:0",
		"--state-dir", state, "--insecure-plaintext", "--sysfs-root", t.TempDir())
	out, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &running{cmd: cmd, exited: make(chan error, 1)}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var l map[string]any
			if json.Unmarshal(sc.Bytes(), &l) != nil {
				continue
			}
			switch l["msg"] {
			case "OIP inference proxy listening":
				r.oip, _ = l["address"].(string)
			case "inference proxy listening":
				r.proxy, _ = l["address"].(string)
			case "serving":
				r.grpc, _ = l["grpc"].(string)
				r.http, _ = l["http"].(string)
				close(ready)
			}
		}
		r.exited <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case <-ready:
	case err := <-r.exited:
		t.Fatalf("the command exited before serving: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("no \"serving\" log line within 30s")
	}
	if r.proxy == "" || r.oip == "" {
		t.Fatal("no \"inference proxy listening\" or \"OIP inference proxy listening\" log line before \"serving\"")
	}
	return r
}

func (r *running) stop(t *testing.T) {
	t.Helper()
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-r.exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("still running 30s after SIGTERM")
	}
}

// TestCommandRoutesAndKeepsItsPoolsAcrossARestart runs the real command:
// a pool created over gRPC routes a streamed request through the proxy,
// SIGTERM stops it cleanly, and a restart on the same state directory
// routes again without being told anything.
func TestCommandRoutesAndKeepsItsPoolsAcrossARestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the command")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "opi-ai-bridge")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	s := standin.New(standin.Config{Name: "s0"})
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Kill)
	state := filepath.Join(dir, "state")

	r := run(t, bin, state)
	conn, err := grpc.NewClient(r.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = aiv1.NewInferencePoolServiceClient(conn).CreateInferencePool(ctx, &aiv1.CreateInferencePoolRequest{
		InferencePoolId: "pool", InferencePool: &aiv1.InferencePool{ServedModelNames: []string{"model"}, Endpoints: []string{s.Addr()}, ScrapeIntervalMs: 50},
	})
	if err != nil {
		t.Fatal(err)
	}
	streams(t, r.proxy)
	oc, err := grpc.NewClient(r.oip, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Close()
	if live, err := inferencepb.NewGRPCInferenceServiceClient(oc).ServerLive(ctx, &inferencepb.ServerLiveRequest{}); err != nil || !live.GetLive() {
		t.Fatalf("OIP ServerLive: %v %v", live, err)
	}
	if resp, err := http.Get("http://" + r.http + "/v1/inferencePools/pool"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("REST: %v %v", resp, err)
	}
	r.stop(t)

	r = run(t, bin, state)
	streams(t, r.proxy)
	r.stop(t)
}

// streams sends a streamed chat request through the proxy until the pool's
// endpoint has been scraped, and checks the answer is a whole stream.
func streams(t *testing.T, proxy string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Post("http://"+proxy+"/v1/chat/completions", "application/json",
			strings.NewReader(`{"model":"model","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			if !strings.HasSuffix(string(body), "data: [DONE]\n\n") {
				t.Fatalf("stream %q", body)
			}
			return
		}
		// 503 until the first scrape.
		if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("HTTP %d: %s", resp.StatusCode, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
