package bindingstest_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"github.com/opi-suite/opi/opi-provisioning/bridge"
)

// skipEnv, set to 1, turns a missing toolchain into a skip. Without it a
// missing toolchain fails the test: CI installs everything with `make tools`.
const skipEnv = "OPI_SKIP_BINDINGS"

// pythonBin is Debian's interpreter: the one that sees python3-grpcio and
// python3-protobuf (the python3 first on PATH may be another one).
const pythonBin = "/usr/bin/python3"

// TestBindings serves the real inventory service and runs the Python and C++
// binding tests against it; each one calls GetInventory and checks the answer
// (see opi-api/python/tests and opi-api/cpp/examples).
func TestBindings(t *testing.T) {
	apiDir := findAPIDir(t)
	addr := serveInventory(t)
	t.Logf("inventory service on %s", addr)

	t.Run("python", func(t *testing.T) {
		t.Parallel()
		requireTool(t, "python3-grpcio and python3-protobuf", pythonBin, "-c", "import grpc, google.protobuf")

		out := run(t, filepath.Join(apiDir, "python"), []string{
			"PYTHONPATH=" + filepath.Join(apiDir, "python", "src"), "OPI_ADDR=" + addr, "PYTHONDONTWRITEBYTECODE=1",
		}, pythonBin, "-m", "unittest", "discover", "-v", "-s", "tests")
		// A run that passes without testing anything proves nothing.
		if m := regexp.MustCompile(`(?m)^Ran (\d+) tests? `).FindStringSubmatch(out); m == nil || m[1] == "0" {
			t.Fatal("unittest ran no tests")
		}
		if strings.Contains(out, "skipped=") {
			t.Fatal("unittest skipped tests; every test must run against the server")
		}
	})

	t.Run("cpp", func(t *testing.T) {
		t.Parallel()
		requireTool(t, "cmake", "cmake", "--version")
		requireTool(t, "g++", "c++", "--version")
		requireTool(t, "pkg-config", "pkg-config", "--version")
		requireTool(t, "libgrpc++-dev and libprotobuf-dev", "pkg-config", "--exists", "grpc++", "protobuf")

		src := filepath.Join(apiDir, "cpp")
		// The gitignored build directory keeps the objects between runs: a
		// cold build takes ~25 s on two cores, a warm one about a second.
		build := filepath.Join(src, "build")
		run(t, src, nil, "cmake", "-S", ".", "-B", build, "-DOPI_API_BUILD_EXAMPLES=ON")
		run(t, src, nil, "cmake", "--build", build, "-j2")
		out := run(t, build, []string{"OPI_ADDR=" + addr}, "ctest", "--output-on-failure", "--no-tests=error", "-V")
		if !strings.Contains(out, "100% tests passed") {
			t.Fatal("ctest did not report every test passed")
		}
	})
}

// findAPIDir returns the opi-api module of this repository, found by walking
// up from the test's working directory.
func findAPIDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		api := filepath.Join(dir, "opi-api")
		if _, err := os.Stat(filepath.Join(api, "buf.gen.yaml")); err == nil {
			return api
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("opi-api not found above the working directory: this test runs inside the OPI monorepo")
		}
		dir = parent
	}
}

// serveInventory serves the real inventory service through the runtime
// (reflection included) in plaintext on a free loopback port until the
// test and its subtests end.
func serveInventory(t *testing.T) string {
	t.Helper()
	return servertest.Start(t, bridge.New().Services()).Server.Addr()
}

// requireTool runs a probe command; when it fails the toolchain named by pkg
// (Debian package names) is missing, which fails the test unless skipEnv=1.
func requireTool(t *testing.T, pkg string, name string, args ...string) {
	t.Helper()
	if err := exec.Command(name, args...).Run(); err == nil {
		return
	}
	msg := fmt.Sprintf("%s not usable (`%s %s` fails): install %s (make tools)", name, name, strings.Join(args, " "), pkg)
	if os.Getenv(skipEnv) == "1" {
		t.Skipf("%s; skipping since %s=1", msg, skipEnv)
	}
	t.Fatalf("%s, or set %s=1 to skip", msg, skipEnv)
}

// run runs a command in dir with extra environment, streams its output into
// the test log line by line, fails the test when it fails, and returns the
// output.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-10*time.Second))
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var all bytes.Buffer
	log := &lineLogger{t: t, prefix: filepath.Base(name) + ": "}
	cmd.Stdout = io.MultiWriter(&all, log)
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	err := cmd.Run()
	log.flush()
	if err != nil {
		t.Fatalf("%s %s (in %s): %v", name, strings.Join(args, " "), dir, err)
	}
	t.Logf("%s %s: done in %s", name, strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	return all.String()
}

// lineLogger writes each complete line it is given to the test log, so a
// command's output appears as it runs under `go test -v`.
type lineLogger struct {
	t      *testing.T
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.t.Log(l.prefix + string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
}

func (l *lineLogger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		sc := bufio.NewScanner(bytes.NewReader(l.buf))
		for sc.Scan() {
			l.t.Log(l.prefix + sc.Text())
		}
		l.buf = nil
	}
}
