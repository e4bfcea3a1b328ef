package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/store"
)

// TestAFullDiskIsResourceExhausted fills a real, tiny tmpfs under a bbolt
// store: the write that no longer fits is ResourceExhausted (the host's
// state, which a client can act on), not an unclassified error, and what
// was stored before stays readable.
func TestAFullDiskIsResourceExhausted(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "opi-full-disk-test", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mounting a tmpfs (root is needed): %v: %s", err, out)
		}
		t.Skipf("mounting a tmpfs needs root: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	ctx := context.Background()
	s, err := store.Open(filepath.Join(dir, "intent.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	must(t, store.Put(ctx, s, "k", "first", []byte("kept")))
	var full error
	for i := 0; i < 1000 && full == nil; i++ {
		full = store.Put(ctx, s, "k", fmt.Sprintf("k%04d", i), []byte(strings.Repeat("x", 4096)))
	}
	if !errors.Is(full, errdefs.ErrResourceExhausted) || !strings.Contains(full.Error(), "full") {
		t.Fatalf("filling the disk ended with %v; want ResourceExhausted saying the state directory is full", full)
	}
	if v, err := store.Get(ctx, s, "k", "first"); err != nil || string(v) != "kept" {
		t.Fatalf("after the disk filled, first = %q, %v", v, err)
	}
}
