// Package upstreamtest is the conformance suite of the storage bridge's
// upstream facade: a client written from upstream OPI's protos
// (opi_api.storage.v1, vendored in opi-upstream) drives every upstream
// storage service through the flows upstream's clients use (godpu's
// storage test is the model): create with and without an id (the server
// then picks a UUID), get, list page by page, update with a field mask,
// stats, delete, a second delete (NOT_FOUND) and one with allow_missing,
// bad input (INVALID_ARGUMENT, nothing stored) and key material that never
// comes back. The order is upstream's: frontend, backend, middle-end.
//
// It needs only a connection, so it runs in-process against a bridge on
// spdk-sim or a real spdk_tgt (bridge's tests) and against a bridge in a
// container (the compose end-to-end suite):
//
//	upstreamtest.Run(t, upstreamtest.Config{Conn: conn, Port: storagetest.FreePort, AioFile: "/var/lib/opi/disk.img"})
//
// Every id it uses starts with Config.Prefix, and it deletes what it made.
package upstreamtest

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	up "github.com/opi-suite/opi/opi-upstream/storage/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Config says what the suite runs against.
type Config struct {
	// Conn is a connection to a bridge serving upstream's storage API.
	Conn grpc.ClientConnInterface
	// Prefix starts every id the suite uses; default "upt".
	Prefix string
	// AioFile is a file of at least 1 MiB the bridge may open as an AIO
	// volume (a path on the bridge's machine). Empty skips the AIO flow.
	AioFile string
	// Port returns a TCP port free on the bridge's SPDK, for the NVMe/TCP
	// listeners the suite makes on 127.0.0.1 (storagetest.FreePort where
	// the bridge runs on this machine). Required.
	Port func(t testing.TB) uint32
	// NoPCIe skips the flows that need PCIe endpoints (virtio-blk, NVMe
	// PCIe controllers and virtio-scsi controllers) on a backend that has
	// none.
	NoPCIe bool
}

// clients are the upstream clients the flows use.
type clients struct {
	cfg       Config
	nvme      up.FrontendNvmeServiceClient
	blk       up.FrontendVirtioBlkServiceClient
	scsi      up.FrontendVirtioScsiServiceClient
	remote    up.NvmeRemoteControllerServiceClient
	malloc    up.MallocVolumeServiceClient
	null      up.NullVolumeServiceClient
	aio       up.AioVolumeServiceClient
	encrypted up.MiddleendEncryptionServiceClient
	qos       up.MiddleendQosVolumeServiceClient
}

// Run drives every upstream storage service, in upstream's order.
func Run(t *testing.T, cfg Config) {
	if cfg.Prefix == "" {
		cfg.Prefix = "upt"
	}
	if cfg.Port == nil || cfg.Conn == nil {
		t.Fatal("upstreamtest: Config.Conn and Config.Port are required")
	}
	c := &clients{cfg: cfg,
		nvme: up.NewFrontendNvmeServiceClient(cfg.Conn), blk: up.NewFrontendVirtioBlkServiceClient(cfg.Conn), scsi: up.NewFrontendVirtioScsiServiceClient(cfg.Conn),
		remote: up.NewNvmeRemoteControllerServiceClient(cfg.Conn), malloc: up.NewMallocVolumeServiceClient(cfg.Conn),
		null: up.NewNullVolumeServiceClient(cfg.Conn), aio: up.NewAioVolumeServiceClient(cfg.Conn),
		encrypted: up.NewMiddleendEncryptionServiceClient(cfg.Conn), qos: up.NewMiddleendQosVolumeServiceClient(cfg.Conn),
	}
	for _, f := range []struct {
		name string
		run  func(*testing.T, *clients)
	}{
		{"Frontend/NvmeSubsystem", nvmeSubsystems},
		{"Frontend/NvmeController", nvmeControllers},
		{"Frontend/NvmeNamespace", nvmeNamespaces},
		{"Frontend/VirtioBlk", virtioBlks},
		{"Frontend/VirtioScsi", virtioScsi},
		{"Frontend/VirtioScsiController", virtioScsiControllers},
		{"Frontend/VirtioScsiKinds", virtioScsiKinds},
		{"Backend/NvmeRemoteController", remoteControllers},
		{"Backend/MallocVolume", mallocVolumes},
		{"Backend/NullVolume", nullVolumes},
		{"Backend/AioVolume", aioVolumes},
		{"Middleend/Encryption", encryptedVolumes},
		{"Middleend/Qos", qosVolumes},
	} {
		t.Run(f.name, func(t *testing.T) { f.run(t, c) })
	}
}

// id is an id of the suite's own.
func (c *clients) id(s string) string { return c.cfg.Prefix + "-" + s }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// ok fails t when err is set, and returns v.
func ok[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// code fails t unless err has the gRPC code want.
func code[T any](t *testing.T, what string, want codes.Code) func(T, error) {
	return func(_ T, err error) {
		t.Helper()
		if got := status.Code(err); got != want {
			t.Errorf("%s: code %s (%v), want %s", what, got, err, want)
		}
	}
}

// uuidRE is a UUID in its canonical text form, as godpu parses it.
var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// checkName checks a created resource's name: parent/coll/id for a
// chosen id, parent/coll/<UUID> for none.
func checkName(t *testing.T, got, prefix, id string) {
	t.Helper()
	rest, found := strings.CutPrefix(got, prefix+"/")
	switch {
	case !found:
		t.Errorf("name %q, want it under %s/", got, prefix)
	case id != "" && rest != id:
		t.Errorf("name %q, want %s/%s", got, prefix, id)
	case id == "" && !uuidRE.MatchString(rest):
		t.Errorf("name %q: the server-picked id is not a UUID", got)
	}
}

// pages lists with page size 1 until the last page, and returns every
// name seen; list returns one page's names and the next token.
func pages(t *testing.T, what string, list func(token string) ([]string, string, error)) []string {
	t.Helper()
	var all []string
	token := ""
	for i := 0; ; i++ {
		names, next, err := list(token)
		if err != nil {
			t.Fatalf("%s, page %d: %v", what, i, err)
		}
		if len(names) > 1 {
			t.Errorf("%s: page %d has %d items, asked for 1", what, i, len(names))
		}
		all = append(all, names...)
		if next == "" {
			return all
		}
		if i > 1000 {
			t.Fatalf("%s: more than 1000 pages", what)
		}
		token = next
	}
}

// contains fails t unless every name of want is in got.
func contains(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("%s: %v has no %s", what, got, w)
		}
	}
}

// namesOf returns the names of a page's resources.
func namesOf[T interface{ GetName() string }](items []T) []string {
	names := make([]string, 0, len(items))
	for _, it := range items {
		names = append(names, it.GetName())
	}
	return names
}
