package adapter_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/adapter"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/sim"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/spdktest"
)

// simWithout serves an spdk-sim that lacks methods (as an spdk_tgt built
// without their module) and returns a client that counts rpc_get_methods.
func simWithout(t *testing.T, methods ...string) (*spdk.Client, *atomic.Int32) {
	t.Helper()
	dir, err := os.MkdirTemp("", "feat")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := sim.New(sim.WithPollInterval(0), sim.WithoutMethods(methods...))
	l, err := net.Listen("unix", filepath.Join(dir, "spdk.sock"))
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { s.Close() })
	var asked atomic.Int32
	c := spdk.New(filepath.Join(dir, "spdk.sock"), spdk.WithObserver(func(m string, _ json.RawMessage) {
		if m == "rpc_get_methods" {
			asked.Add(1)
		}
	}))
	t.Cleanup(func() { c.Close() })
	return c, &asked
}

func featCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantMissingFeature fails unless err is FailedPrecondition naming the
// feature and the method, with SPDK's "Method not found" kept as its cause.
func wantMissingFeature(t *testing.T, err error, method, feature string) {
	t.Helper()
	if !errors.Is(err, errdefs.ErrFailedPrecondition) {
		t.Fatalf("%s: err = %v (class %v), want FailedPrecondition", method, err, errdefs.Class(err))
	}
	if msg := err.Error(); !strings.Contains(msg, feature) || !strings.Contains(msg, method) {
		t.Errorf("%s: message %q does not name the feature %q and the method", method, msg, feature)
	}
	if !spdk.IsCode(err, spdk.CodeMethodNotFound) {
		t.Errorf("%s: SPDK's Method not found is no longer the cause: %v", method, err)
	}
}

func TestFeaturesOnASimWithoutVfioUser(t *testing.T) {
	c, asked := simWithout(t, "vfu_virtio_create_blk_endpoint", "vfu_virtio_delete_endpoint")
	f := adapter.NewFeatures(c)
	ctx := featCtx(t)
	create := map[string]any{"name": "vb0", "bdev_name": "m0"}

	t.Run("a method the build lacks is FailedPrecondition naming vfio-user", func(t *testing.T) {
		wantMissingFeature(t, f.Call(ctx, "vfu_virtio_create_blk_endpoint", create, nil), "vfu_virtio_create_blk_endpoint", "vfio-user")
	})
	t.Run("the method list is asked for once per connection", func(t *testing.T) {
		wantMissingFeature(t, f.Call(ctx, "vfu_virtio_delete_endpoint", map[string]any{"name": "vb0"}, nil), "vfu_virtio_delete_endpoint", "vfio-user")
		if n := asked.Load(); n != 1 {
			t.Errorf("rpc_get_methods asked %d times for two missing methods, want once", n)
		}
		f.Reset()
		wantMissingFeature(t, f.Call(ctx, "vfu_virtio_create_blk_endpoint", create, nil), "vfu_virtio_create_blk_endpoint", "vfio-user")
		if n := asked.Load(); n != 2 {
			t.Errorf("rpc_get_methods asked %d times in all after a Reset, want twice", n)
		}
	})
	t.Run("errors of methods it has pass unchanged", func(t *testing.T) {
		before := asked.Load()
		err := f.Call(ctx, "bdev_get_bdevs", map[string]any{"name": "absent"}, nil)
		if !spdk.IsNotFound(err) || errdefs.Classified(err) {
			t.Errorf("bdev_get_bdevs(absent) = %v, want SPDK's own not-found answer", err)
		}
		if asked.Load() != before {
			t.Error("an error other than Method not found made it ask for the method list")
		}
	})
	t.Run("a name SPDK has never had is named by its prefix", func(t *testing.T) {
		wantMissingFeature(t, f.Call(ctx, "bdev_nosuch_create", nil, nil), "bdev_nosuch_create", "bdev_nosuch")
	})
}

// TestFeaturesOnTheRealTarget runs the same check against spdk_tgt: this
// build has vfio-user and every method the adapter uses, but not ublk, so
// a ublk method is the missing feature here.
func TestFeaturesOnTheRealTarget(t *testing.T) {
	tg := spdktest.Start(t)
	c := spdk.New(tg.Socket)
	defer c.Close()
	f := adapter.NewFeatures(c)
	ctx := featCtx(t)
	wantMissingFeature(t, f.Call(ctx, "ublk_create_target", map[string]any{"cpumask": "0x1"}, nil), "ublk_create_target", "ublk")
	// A vfio-user method is present: the check lets SPDK's answer through
	// (here: the bdev does not exist).
	err := f.Call(ctx, "vfu_virtio_create_blk_endpoint", map[string]any{"name": "vb0", "bdev_name": "absent"}, nil)
	if err == nil || errors.Is(err, errdefs.ErrFailedPrecondition) || spdk.IsCode(err, spdk.CodeMethodNotFound) {
		t.Errorf("vfu_virtio_create_blk_endpoint on a missing bdev = %v, want SPDK's own refusal", err)
	}
}

func TestFeatureNames(t *testing.T) {
	for method, want := range map[string]string{
		"vfu_virtio_create_blk_endpoint": "vfio-user",
		"bdev_nvme_attach_controller":    "NVMe bdev",
		"nvmf_create_transport":          "NVMe-oF target",
		"keyring_file_add_key":           "keyring file",
		"bdev_rbd_create":                "RBD",
		"bdev_zone_block_create":         "bdev_zone",
		"iscsi_create_portal_group":      "iscsi",
	} {
		if got := adapter.FeatureOf(method); !strings.Contains(got, want) {
			t.Errorf("FeatureOf(%s) = %q, want it to name %q", method, got, want)
		}
	}
}
