package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
)

// TestCommandServesInventory builds the real command, runs it as a user
// would, and checks every surface: gRPC, health, reflection (through grpcurl
// when it is installed), REST, metrics, and a graceful stop on SIGTERM.
func TestCommandServesInventory(t *testing.T) {
	dir, bin := buildCommand(t)
	// The kernel picks both ports, and the command's "serving" log line says
	// which: a port picked here and handed over could be taken in between.
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--state-dir", filepath.Join(dir, "state"), "--insecure-plaintext")
	// The HTTP address comes from the environment, to check that path too:
	// without it the command would listen on the default :8082.
	cmd.Env = append(os.Environ(), "OPI_HTTP_LISTEN=127.0.0.1:0")
	_, addrs, exited := startCommand(t, cmd)
	grpcAddr, httpAddr := addrs.GRPC, addrs.HTTP
	if host, _, _ := net.SplitHostPort(httpAddr); host != "127.0.0.1" {
		t.Fatalf("HTTP listens on %q, not on OPI_HTTP_LISTEN=127.0.0.1:0", httpAddr)
	}
	waitHealthy(t, httpAddr)

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	t.Run("GetInventory answers with this machine", func(t *testing.T) {
		inv, err := inventoryv1.NewInventoryServiceClient(conn).GetInventory(ctx, &inventoryv1.GetInventoryRequest{Name: "inventory"})
		if err != nil {
			t.Fatal(err)
		}
		if inv.GetCpu().GetTotalThreads() < 1 || inv.GetMemory().GetUsableBytes() <= 0 {
			t.Errorf("inventory lacks CPU or memory: %v", inv)
		}
	})
	t.Run("health reports the inventory service SERVING", func(t *testing.T) {
		res, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: inventoryv1.InventoryService_ServiceDesc.ServiceName})
		if err != nil || res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health = %v, %v", res.GetStatus(), err)
		}
	})
	t.Run("grpcurl lists the services through reflection", func(t *testing.T) {
		grpcurl, err := exec.LookPath("grpcurl")
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("grpcurl is not on PATH in CI: make tools installs it into .tools/bin, which make test puts on PATH")
			}
			t.Skip("grpcurl is not on PATH (make tools installs it into .tools/bin)")
		}
		out, err := exec.CommandContext(ctx, grpcurl, "-plaintext", grpcAddr, "list").CombinedOutput()
		if err != nil {
			t.Fatalf("grpcurl: %v\n%s", err, out)
		}
		for _, want := range []string{"opi.inventory.v1.InventoryService", "grpc.health.v1.Health"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("grpcurl list lacks %s:\n%s", want, out)
			}
		}
	})
	t.Run("REST returns the inventory as JSON", func(t *testing.T) {
		var inv map[string]any
		getJSON(t, "http://"+httpAddr+"/v1/inventory", &inv)
		if inv["name"] != "inventory" {
			t.Errorf("REST answer: %v", inv)
		}
	})
	t.Run("metrics count the calls per method", func(t *testing.T) {
		res, err := http.Get("http://" + httpAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body bytes.Buffer
		_, _ = body.ReadFrom(res.Body)
		want := `grpc_server_handled_total{grpc_code="OK",grpc_method="GetInventory",grpc_service="opi.inventory.v1.InventoryService",grpc_type="unary"}`
		if !strings.Contains(body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("after SIGTERM the command exited with %v, want 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the command did not stop within 15s of SIGTERM")
	}
}

func TestCommandRefusesPlaintextUnlessAsked(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command")
	}
	out, err := exec.Command("go", "run", ".", "--listen", "127.0.0.1:0", "--http-listen", "").CombinedOutput()
	if err == nil {
		t.Fatalf("started without TLS and without --insecure-plaintext:\n%s", out)
	}
	if !strings.Contains(string(out), "--insecure-plaintext") {
		t.Errorf("the error does not say how to proceed:\n%s", out)
	}
}

// serveAddrs are the addresses in the command's "serving" log line.
type serveAddrs struct {
	GRPC string `json:"grpc"`
	HTTP string `json:"http"`
}

// serveLog collects the command's output, safe for the two copying
// goroutines of exec, and sends the addresses of the first "serving" line.
// buildCommand builds the command into a new directory, which it returns
// with the binary's path; under -short the test is skipped.
func buildCommand(t *testing.T) (dir, bin string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the command")
	}
	dir = t.TempDir()
	bin = filepath.Join(dir, "opi-provisioning")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir, bin
}

// startCommand starts cmd, waits for its "serving" log line and returns
// its log, the addresses it serves and a channel that gets its exit. The
// kernel picks the ports, and the log line says which: a port picked here
// and handed over could be taken in between. The command is killed when
// the test ends, and its output logged if the test failed.
func startCommand(t *testing.T, cmd *exec.Cmd) (*serveLog, serveAddrs, <-chan error) {
	t.Helper()
	logs := &serveLog{listening: make(chan serveAddrs, 1)}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("command output:\n%s", logs.String())
		}
	})
	select {
	case a := <-logs.listening:
		return logs, a, exited
	case err := <-exited:
		t.Fatalf("the command exited before serving: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("no \"serving\" log line within 20s")
	}
	return nil, serveAddrs{}, nil
}

type serveLog struct {
	mu        sync.Mutex
	all       bytes.Buffer
	partial   []byte
	listening chan serveAddrs
	sent      bool
}

func (l *serveLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all.Write(p)
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := l.partial[:i]
		l.partial = l.partial[i+1:]
		var entry struct {
			Msg string `json:"msg"`
			serveAddrs
		}
		if !l.sent && json.Unmarshal(line, &entry) == nil && entry.Msg == "serving" {
			l.listening <- entry.serveAddrs
			l.sent = true
		}
	}
}

func (l *serveLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all.String()
}

func waitHealthy(t *testing.T, httpAddr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get("http://" + httpAddr + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("/healthz did not answer 200 within 20s")
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
