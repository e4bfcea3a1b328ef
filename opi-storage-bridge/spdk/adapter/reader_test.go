package adapter_test

import (
	"context"
	"encoding/json"
	"testing"

	storagev1 "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/adapter"
)

// answers is an spdk.Caller that answers each method with canned JSON or
// an SPDK error.
type answers map[string]any

func (a answers) Call(_ context.Context, method string, _, result any) error {
	v, ok := a[method]
	if !ok {
		return &spdk.Error{Code: spdk.CodeMethodNotFound, Message: "Method not found", Method: method}
	}
	if err, ok := v.(*spdk.Error); ok {
		return err
	}
	if result == nil {
		return nil
	}
	return json.Unmarshal([]byte(v.(string)), result)
}

// SPDK counts per path only when asked to at start; the reader then sums
// the counters of the one path over every namespace bdev of the
// controller, and leaves other paths' and other controllers' out.
func TestPathStatsSumTheNamespacesOfOnePath(t *testing.T) {
	ctrl := &storagev1.NvmeRemoteController{Name: "nvmeRemoteControllers/c1"}
	path := &storagev1.NvmeFabricsAddress{Traddr: "10.0.0.2", Trsvcid: 4420}
	stat := func(traddr, port string, reads int) string {
		return `{"trid":{"trtype":"TCP","traddr":"` + traddr + `","trsvcid":"` + port + `"},"stat":{"bytes_read":` +
			itoa(reads*4096) + `,"num_read_ops":` + itoa(reads) + `}}`
	}
	counting := answers{
		"bdev_get_bdevs": `[{"name":"nvme-c1n1"},{"name":"nvme-c1n2"},{"name":"nvme-c10n1"}]`,
		"bdev_nvme_get_path_iostat": `{"name":"x","stats":[` + stat("10.0.0.1", "4420", 5) + `,` + stat("10.0.0.2", "4420", 7) + `,` +
			stat("10.0.0.2", "4421", 100) + `]}`,
	}
	got, err := adapter.Reader{C: counting}.PathStats(context.Background(), ctrl, path)
	if err != nil {
		t.Fatal(err)
	}
	// Two namespaces of c1 (not c10's), 7 reads each through 10.0.0.2:4420.
	if got.GetReadOps() != 14 || got.GetReadBytes() != 14*4096 {
		t.Errorf("path stats = %v; want 14 reads of 4 KiB", got)
	}

	notCounting := answers{
		"bdev_get_bdevs":            `[{"name":"nvme-c1n1"}]`,
		"bdev_nvme_get_path_iostat": &spdk.Error{Code: spdk.CodeInvalidState, Message: "RPC not enabled if enable_io_path_stat is false"},
	}
	got, err = adapter.Reader{C: notCounting}.PathStats(context.Background(), ctrl, path)
	if err != nil || got != nil {
		t.Errorf("path stats of an SPDK that does not count per path = %v, %v; want none and no error", got, err)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
