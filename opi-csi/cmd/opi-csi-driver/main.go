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
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/opi-suite/opi/opi-cli/client"
	"github.com/opi-suite/opi/opi-csi/dpu"
	"github.com/opi-suite/opi/opi-csi/driver"
)

func main() {
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
	nvmeAddr := fs.String("nvme-addr", env("NVME_ADDR", ""), "IP address of the DPU's NVMe/TCP listener (OPI_CSI_NVME_ADDR)")
	nvmePort := fs.Uint("nvme-port", 4420, "its TCP port")
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
		Target: dpu.Target{Transport: dpu.NvmeTCP, Addr: *nvmeAddr, Port: uint32(*nvmePort)},
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
