package kernel

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/opi-suite/opi/opi-kit/errdefs"
)

// classify gives a netlink error its errdefs class, prefixed with what the
// adapter was doing. It is the one place where errnos become classes.
// EEXIST comes out as AlreadyExists: the adapter looks before it creates
// (under its lock), so a kernel that still answers "exists" means an
// object that is someone else's (a foreign device with the name, another
// VXLAN device with the VNI).
func classify(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	werr := fmt.Errorf(format+": %w", append(args, err)...)
	if errdefs.Classified(err) {
		return werr
	}
	var notFound netlink.LinkNotFoundError
	switch {
	case errors.As(err, &notFound), errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENOENT):
		return errdefs.Wrap(errdefs.ErrNotFound, werr)
	case errors.Is(err, unix.EOPNOTSUPP):
		return errdefs.Wrap(errdefs.ErrFailedPrecondition,
			fmt.Errorf("%w (not supported by this kernel)", werr))
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return errdefs.Wrap(errdefs.ErrFailedPrecondition,
			fmt.Errorf("%w (the bridge needs CAP_NET_ADMIN in its network namespace)", werr))
	case errors.Is(err, unix.EEXIST):
		return errdefs.Wrap(errdefs.ErrAlreadyExists, werr)
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ERANGE):
		return errdefs.Wrap(errdefs.ErrInvalidArgument, werr)
	case errors.Is(err, unix.EBUSY):
		return errdefs.Wrap(errdefs.ErrFailedPrecondition, werr)
	case errors.Is(err, unix.ENOBUFS), errors.Is(err, unix.ENOMEM), errors.Is(err, unix.ENOSPC):
		return errdefs.Wrap(errdefs.ErrResourceExhausted, werr)
	}
	return werr
}

// isNotFound reports whether a netlink error means the object is absent.
func isNotFound(err error) bool {
	var notFound netlink.LinkNotFoundError
	return errors.As(err, &notFound) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENOENT) ||
		errors.Is(err, errdefs.ErrNotFound)
}

// A feature is a kernel capability some requests need.
type feature struct {
	what   string // "VRF devices"
	option string // "CONFIG_NET_VRF"
}

var (
	featBridge        = feature{"Linux bridges", "CONFIG_BRIDGE"}
	featVXLAN         = feature{"VXLAN devices", "CONFIG_VXLAN"}
	featVRF           = feature{"VRF devices", "CONFIG_NET_VRF"}
	featVLAN          = feature{"802.1Q VLAN devices", "CONFIG_VLAN_8021Q"}
	featVlanFiltering = feature{"bridge VLAN filtering", "CONFIG_BRIDGE_VLAN_FILTERING"}
)

func (f feature) missing(need string) error {
	return errdefs.FailedPreconditionf("%s: this kernel lacks %s (%s)", need, f.what, f.option)
}

// require returns FailedPrecondition naming the first missing feature.
func (k *Kernel) require(need string, feats ...feature) error {
	for _, f := range feats {
		var have bool
		switch f {
		case featBridge:
			have = k.features.Bridge
		case featVXLAN:
			have = k.features.VXLAN
		case featVRF:
			have = k.features.VRF
		case featVLAN:
			have = k.features.VLAN
		case featVlanFiltering:
			have = k.features.VlanFiltering
		}
		if !have {
			return f.missing(need)
		}
	}
	return nil
}

// undo is what a call did so far, to be taken back if a later step
// fails: an Ensure never leaves a half-made object behind.
type undo []func() error

func (u *undo) push(f func() error) { *u = append(*u, f) }

// run takes the steps back, last first. A step that fails is logged: the
// error the caller returns is the one that made it undo.
func (u undo) run(log *slog.Logger) {
	for i := len(u) - 1; i >= 0; i-- {
		if err := u[i](); err != nil && !isNotFound(err) {
			log.Warn("undoing a half-made change", "err", err)
		}
	}
}

// isAddrAbsent reports whether deleting an address failed because the
// interface does not have it.
func isAddrAbsent(err error) bool { return errors.Is(err, unix.EADDRNOTAVAIL) }
