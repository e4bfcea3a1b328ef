package spdktest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/spdktest"
)

// TestRealTargetStartsAnswersAndRestartsEmpty is the harness's own check:
// the target answers, keeps what it was given, and a restart loses it (as
// SPDK does; replay in the bridge exists for that).
func TestRealTargetStartsAnswersAndRestartsEmpty(t *testing.T) {
	tg := spdktest.Start(t)
	c := spdk.New(tg.Socket)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var version struct {
		Version string `json:"version"`
	}
	if err := c.Call(ctx, "spdk_get_version", nil, &version); err != nil || version.Version == "" {
		t.Fatalf("spdk_get_version = %+v, %v", version, err)
	}
	var name string
	if err := c.Call(ctx, "bdev_malloc_create", map[string]any{"name": "m0", "num_blocks": 128, "block_size": 512}, &name); err != nil || name != "m0" {
		t.Fatalf("bdev_malloc_create = %q, %v", name, err)
	}
	tg.Restart()
	err := c.Call(ctx, "bdev_get_bdevs", map[string]any{"name": "m0"}, nil)
	if !spdk.IsNotFound(err) && !errors.Is(err, spdk.ErrUnavailable) {
		// The client may see the old connection drop first; then it reconnects.
		t.Fatalf("after a restart bdev_get_bdevs(m0) = %v, want not found", err)
	}
	if err := c.Call(ctx, "bdev_get_bdevs", map[string]any{"name": "m0"}, nil); !spdk.IsNotFound(err) {
		t.Fatalf("after a restart bdev_get_bdevs(m0) = %v, want not found: the restarted target must be empty", err)
	}
}
