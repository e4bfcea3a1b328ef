// Command opi-csi-driver is the OPI CSI driver: the controller (in a
// Deployment, beside the storage API it calls), the node plugin (in a
// DaemonSet), or both in one process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/opi-suite/opi/opi-cli/client"
	"github.com/opi-suite/opi/opi-csi/dpu"
	"github.com/opi-suite/opi/opi-csi/driver"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "probe" {
		if err := probe(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "opi-csi-driver probe:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "opi-csi-driver:", err)
		os.Exit(1)
	}
}

// env returns the OPI_CSI_<name> variable, or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv("OPI_CSI_" + name); ok {
		return v
	}
	return def
}

func run(args []string) error {
	fs := flag.NewFlagSet("opi-csi-driver", flag.ContinueOnError)
	endpoint := fs.String("endpoint", env("ENDPOINT", "unix:///csi/csi.sock"), "CSI endpoint: unix:///path or tcp://host:port (OPI_CSI_ENDPOINT)")
	mode := fs.String("mode", env("MODE", "all"), "controller, node or all (OPI_CSI_MODE)")
	name := fs.String("driver-name", env("DRIVER_NAME", driver.DefaultName), "the driver's name (OPI_CSI_DRIVER_NAME)")
	domain := fs.String("storage-domain", env("STORAGE_DOMAIN", "default"), "topology value of "+driver.TopologyKey+" (OPI_CSI_STORAGE_DOMAIN)")
	// The storage API (controller).
	addr := fs.String("storage-addr", env("STORAGE_ADDR", ""), "host:port of the storage API (OPI_CSI_STORAGE_ADDR)")
	ca := fs.String("tls-ca", env("TLS_CA", ""), "CA that signed the storage API's certificate (OPI_CSI_TLS_CA)")
	cert := fs.String("tls-cert", env("TLS_CERT", ""), "client certificate for mutual TLS (OPI_CSI_TLS_CERT)")
	key := fs.String("tls-key", env("TLS_KEY", ""), "its key (OPI_CSI_TLS_KEY)")
	insecure := fs.Bool("insecure-plaintext", env("INSECURE_PLAINTEXT", "") == "true", "talk to the storage API without TLS (tests only)")
	backing := fs.String("backing", env("BACKING", ""), "lvol:<store id> (production) or aio:<directory> (test mode) (OPI_CSI_BACKING)")
	thin := fs.Bool("thin", env("THIN", "") == "true", "thinly provisioned logical volumes (OPI_CSI_THIN)")
	export := fs.String("export", env("EXPORT", "nvme-tcp"), "how volumes reach nodes: nvme-tcp, nvme-pcie (an emulated NVMe function of the DPU) or virtio-blk (an emulated virtio-blk function) (OPI_CSI_EXPORT)")
	nvmeAddr := fs.String("nvme-addr", env("NVME_ADDR", ""), "IP address of the DPU's NVMe/TCP listener (OPI_CSI_NVME_ADDR)")
	nvmePort := fs.Uint("nvme-port", 4420, "its TCP port")
	pciePort := fs.Uint("pcie-port", 0, "nvme-pcie, virtio-blk: the DPU's host-facing PCIe port of the functions")
	pciePF := fs.Uint("pcie-pf", 0, "nvme-pcie, virtio-blk: their physical function")
	pcieVFs := fs.String("pcie-vfs", env("PCIE_VFS", ""), "nvme-pcie, virtio-blk: the virtual functions volumes may take, first-last (0 is the physical function itself) (OPI_CSI_PCIE_VFS)")
	// The node.
	nodeID := fs.String("node-id", env("NODE_ID", ""), "this node's id, usually the Kubernetes node name (OPI_CSI_NODE_ID)")
	stateDir := fs.String("state-dir", env("STATE_DIR", "/var/lib/opi-csi"), "the node's records of staged volumes (OPI_CSI_STATE_DIR)")
	attacher := fs.String("attacher", env("ATTACHER", "nvme-tcp"), "nvme-tcp (nvme-cli) or loop (test mode: AIO files on loop devices) (OPI_CSI_ATTACHER)")
	maxVolumes := fs.Int64("max-volumes-per-node", 0, "volumes a node can take (0: no limit)")
	expandable := fs.Bool("expandable", false, "node only: volumes can grow (the controller backs them with logical volumes)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := driver.Config{
		Name: *name, StorageDomain: *domain, NodeID: *nodeID, StateDir: *stateDir,
		MaxVolumesPerNode: *maxVolumes, Expandable: *expandable,
		Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil)),
	}
	switch *mode {
	case "controller":
		cfg.Controller = true
	case "node":
		cfg.Node = true
	case "all":
		cfg.Controller, cfg.Node = true, true
	default:
		return fmt.Errorf("--mode %q: want controller, node or all", *mode)
	}
	if cfg.Controller {
		b, err := parseBacking(*backing, *thin)
		if err != nil {
			return err
		}
		if *addr == "" {
			return errors.New("the controller needs the storage API: give --storage-addr host:port or set OPI_CSI_STORAGE_ADDR")
		}
		if cfg.Target, err = parseExport(*export, *nvmeAddr, *nvmePort, *pciePort, *pciePF, *pcieVFs); err != nil {
			return err
		}
		conn, err := client.Dial(client.Options{Addr: *addr, CAFile: *ca, CertFile: *cert, KeyFile: *key, Insecure: *insecure})
		if err != nil {
			return err
		}
		defer conn.Close()
		cfg.Client = dpu.New(conn, b)
	}
	switch *attacher {
	case "nvme-tcp":
		cfg.Attacher = driver.NvmeTCPAttacher{}
	case "loop":
		cfg.Attacher = driver.LoopAttacher{}
	default:
		return fmt.Errorf("--attacher %q: want nvme-tcp or loop", *attacher)
	}
	if cfg.Node {
		if err := checkNode(cfg, *attacher, *backing); err != nil {
			return err
		}
	}
	d, err := driver.New(cfg)
	if err != nil {
		return err
	}
	l, err := driver.Listen(*endpoint)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	cfg.Logger.Info("serving", "endpoint", *endpoint, "mode", *mode)
	return d.Serve(ctx, l)
}

func parseBacking(s string, thin bool) (dpu.Backing, error) {
	kind, arg, _ := strings.Cut(s, ":")
	switch {
	case kind == "lvol" && arg != "":
		return dpu.LogicalVolumes(arg, thin), nil
	case kind == "aio" && strings.HasPrefix(arg, "/"):
		return dpu.AioFiles(arg), nil
	}
	return nil, errors.New("--backing: want lvol:<logical volume store id> or aio:</absolute/directory>")
}

// parseExport reads the export flags into the controller's target.
func parseExport(export, nvmeAddr string, nvmePort, port, pf uint, vfs string) (dpu.Target, error) {
	switch export {
	case "nvme-tcp":
		if net.ParseIP(nvmeAddr) == nil {
			return dpu.Target{}, fmt.Errorf("--export nvme-tcp needs --nvme-addr, the IP address of the DPU's NVMe/TCP listener (have %q)", nvmeAddr)
		}
		if nvmePort == 0 || nvmePort > 65535 {
			return dpu.Target{}, fmt.Errorf("--nvme-port %d: want 1-65535", nvmePort)
		}
		return dpu.Target{Transport: dpu.NvmeTCP, Addr: nvmeAddr, Port: uint32(nvmePort)}, nil
	case "nvme-pcie", "virtio-blk":
		first, last, ok := strings.Cut(vfs, "-")
		a, errA := strconv.ParseUint(first, 10, 16)
		b, errB := strconv.ParseUint(last, 10, 16)
		if !ok || errA != nil || errB != nil || b < a {
			return dpu.Target{}, fmt.Errorf("--export %s needs --pcie-vfs first-last, the virtual functions volumes may take (e.g. 1-64; 0 is the physical function), have %q", export, vfs)
		}
		t := dpu.Target{Transport: dpu.NvmePCIe, Functions: &dpu.Functions{Port: uint32(port), PF: uint32(pf), FirstVF: uint32(a), LastVF: uint32(b)}}
		if export == "virtio-blk" {
			t.Transport = dpu.VirtioBlkPCIe
		}
		return t, nil
	}
	return dpu.Target{}, fmt.Errorf("--export %q: want nvme-tcp, nvme-pcie or virtio-blk", export)
}

// checkNode refuses what the node plugin could not do: an attacher that
// cannot reach the controller's exports (when both run here), or missing
// programs.
func checkNode(cfg driver.Config, attacher, backing string) error {
	if cfg.Controller {
		switch {
		case attacher == "nvme-tcp" && cfg.Target.Transport == dpu.VirtioBlkPCIe:
			return errors.New("--attacher nvme-tcp finds NVMe namespaces, not virtio-blk devices: --export virtio-blk needs --attacher loop (test mode, --backing aio:<dir>)")
		case attacher == "loop" && !strings.HasPrefix(backing, "aio:"):
			return errors.New("--attacher loop maps AIO volumes' files: it needs --backing aio:<dir>")
		}
	}
	return driver.CheckTools(cfg.Attacher)
}

// probe asks a running driver's Identity service, as a liveness check
// (the image's HEALTHCHECK, the end-to-end suite): GetPluginInfo and
// Probe over its endpoint, printing the name and version.
func probe(args []string) error {
	fs := flag.NewFlagSet("opi-csi-driver probe", flag.ContinueOnError)
	endpoint := fs.String("endpoint", env("ENDPOINT", "unix:///csi/csi.sock"), "CSI endpoint (OPI_CSI_ENDPOINT)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	target, ok := strings.CutPrefix(*endpoint, "tcp://")
	if !ok {
		target = *endpoint // unix:///path, which gRPC dials as it is
	}
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	id := csi.NewIdentityClient(conn)
	info, err := id.GetPluginInfo(ctx, &csi.GetPluginInfoRequest{}, grpc.WaitForReady(true))
	if err != nil {
		return fmt.Errorf("GetPluginInfo on %s: %w", *endpoint, err)
	}
	ready, err := id.Probe(ctx, &csi.ProbeRequest{})
	if err != nil {
		return fmt.Errorf("Probe on %s: %w", *endpoint, err)
	}
	if r := ready.GetReady(); r != nil && !r.GetValue() {
		return fmt.Errorf("%s %s on %s: not ready", info.GetName(), info.GetVendorVersion(), *endpoint)
	}
	fmt.Printf("%s %s ready\n", info.GetName(), info.GetVendorVersion())
	return nil
}
