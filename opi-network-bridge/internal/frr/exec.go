package frr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// boundedBuffer keeps the first max bytes written to it and counts the
// rest, so a runaway command cannot exhaust the bridge's memory.
type boundedBuffer struct {
	buf     bytes.Buffer
	max     int
	dropped int
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		if len(p) <= room {
			b.buf.Write(p)
		} else {
			b.buf.Write(p[:room])
			b.dropped += len(p) - room
		}
	} else {
		b.dropped += len(p)
	}
	return len(p), nil
}

// errTruncated: an output was longer than its bound.
var errTruncated = errors.New("output exceeds its bound")

// result is what a finished command printed.
type result struct {
	stdout, stderr []byte
	truncated      bool
}

// combined is stdout then stderr, for messages.
func (r result) combined() string {
	return strings.TrimSpace(string(r.stdout) + "\n" + string(r.stderr))
}

// run executes name with args (never through a shell) in its own process
// group, killed as a whole when ctx ends or timeout passes, and returns its
// bounded output. A non-zero exit is returned as *exec.ExitError beside
// the output.
func run(ctx context.Context, timeout time.Duration, maxOut int, name string, args ...string) (result, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, name, args...)
	stdout := &boundedBuffer{max: maxOut}
	stderr := &boundedBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// frr-reload.py runs vtysh children: a cancel must reach them too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	res := result{stdout: stdout.buf.Bytes(), stderr: stderr.buf.Bytes(), truncated: stdout.dropped > 0}
	if ctxErr := ctx.Err(); ctxErr != nil && err != nil {
		return res, fmt.Errorf("%s: %w", name, ctxErr)
	}
	return res, err
}
