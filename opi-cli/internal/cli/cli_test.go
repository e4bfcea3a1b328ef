package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"sigs.k8s.io/yaml"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
)

// inventoryServer answers GetInventory with a fixed machine, or with err.
type inventoryServer struct {
	inventoryv1.UnimplementedInventoryServiceServer
	err error
}

func (s *inventoryServer) GetInventory(_ context.Context, req *inventoryv1.GetInventoryRequest) (*inventoryv1.Inventory, error) {
	if s.err != nil {
		return nil, s.err
	}
	return &inventoryv1.Inventory{
		Name:     req.GetName(),
		Hostname: "dpu-7",
		System:   &inventoryv1.SystemInfo{Vendor: "Acme", ProductName: "SmartNIC 9000"},
		Cpu: &inventoryv1.CpuInfo{TotalSockets: 1, TotalCores: 16, TotalThreads: 16,
			Processors: []*inventoryv1.Processor{{Model: "ARM Neoverse N1"}}},
		Memory: &inventoryv1.MemoryInfo{UsableBytes: 16 << 30, TotalPhysicalBytes: 16 << 30},
		PciDevices: []*inventoryv1.PciDevice{
			{Address: "0000:03:00.0", VendorId: "15b3", VendorName: "Mellanox Technologies", DeviceId: "a2dc", ClassId: "02", ClassName: "Network controller", Driver: "mlx5_core"},
			{Address: "0000:04:00.0", VendorId: "1af4", DeviceId: "1041", ClassId: "02"},
		},
	}, nil
}

func serve(t *testing.T, impl inventoryv1.InventoryServiceServer) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	inventoryv1.RegisterInventoryServiceServer(s, impl)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// run executes the command line and returns its exit code, stdout and stderr.
func run(t *testing.T, terminal bool, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Execute(context.Background(), Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Terminal: terminal}, args)
	return code, out.String(), errOut.String()
}

func TestInventoryGetPrintsEachFormat(t *testing.T) {
	addr := serve(t, &inventoryServer{})
	for _, tc := range []struct {
		name     string
		terminal bool
		args     []string
		check    func(t *testing.T, out string)
	}{
		{"a terminal gets an aligned table with headers", true, nil, func(t *testing.T, out string) {
			for _, want := range []string{"HOSTNAME", "dpu-7", "Acme SmartNIC 9000", "1 sockets, 16 cores, 16 threads", "16.0 GiB usable",
				"PCI DEVICES", "ADDRESS", "Mellanox Technologies", "mlx5_core"} {
				if !strings.Contains(out, want) {
					t.Errorf("table lacks %q:\n%s", want, out)
				}
			}
			// The device without names falls back to ids, and a missing driver shows as "-".
			if !regexp.MustCompile(`0000:04:00.0 +02 +1af4 +1041 +-\n`).MatchString(out) {
				t.Errorf("unnamed device not shown by ids:\n%s", out)
			}
		}},
		{"a pipe gets tab-separated rows without headers", false, nil, func(t *testing.T, out string) {
			if strings.Contains(out, "ADDRESS") {
				t.Errorf("piped output has a header:\n%s", out)
			}
			if !strings.Contains(out, "0000:03:00.0\tNetwork controller\tMellanox Technologies\ta2dc\tmlx5_core\n") {
				t.Errorf("piped output lacks the TSV row:\n%s", out)
			}
		}},
		{"json uses the API's field names", false, []string{"-o", "json"}, func(t *testing.T, out string) {
			var v map[string]any
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			if v["hostname"] != "dpu-7" || v["name"] != "inventory" || len(v["pci_devices"].([]any)) != 2 {
				t.Errorf("unexpected JSON: %v", v)
			}
		}},
		{"yaml holds the same document", false, []string{"--output", "yaml"}, func(t *testing.T, out string) {
			var v map[string]any
			if err := yaml.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("not YAML: %v\n%s", err, out)
			}
			if v["hostname"] != "dpu-7" {
				t.Errorf("unexpected YAML: %v", v)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--addr", addr, "--insecure", "inventory", "get"}, tc.args...)
			code, out, errOut := run(t, tc.terminal, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			tc.check(t, out)
		})
	}
}

func TestErrorsSayWhatToDo(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"an unreachable service suggests checking the address", []string{"--addr", deadAddr, "--insecure"}, []string{"cannot reach a service at " + deadAddr, "--addr"}},
		{"a refused caller is told which role is needed", []string{"--addr", serve(t, &inventoryServer{err: status.Error(codes.PermissionDenied, "method needs role admin")}), "--insecure"}, []string{"not allowed: method needs role admin", "admin role"}},
		{"an unknown output format lists the valid ones", []string{"--insecure", "-o", "xml"}, []string{"use table, json or yaml"}},
		{"TLS files with --insecure are contradictory", []string{"--insecure", "--tls-ca", "ca.pem"}, []string{"drop one or the other"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(t, false, append(tc.args, "inventory", "get")...)
			if code == 0 {
				t.Fatal("exit 0, want failure")
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

func TestCompletionScriptsAreGenerated(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		t.Run(shell, func(t *testing.T) {
			code, out, errOut := run(t, false, "completion", shell)
			if code != 0 || !strings.Contains(out, "opi") {
				t.Fatalf("exit %d, stderr %q, %d bytes", code, errOut, len(out))
			}
		})
	}
}
