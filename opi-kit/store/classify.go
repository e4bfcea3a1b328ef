package store

import (
	"errors"
	"syscall"

	"github.com/opi-suite/opi/opi-kit/errdefs"
)

// Classify gives a store failure of the host's making the class a client
// can act on: a full state disk is not a bug of the bridge (Internal) but
// ResourceExhausted, a read-only one FailedPrecondition. Nothing was
// changed in either case. Errors with a class already (those a
// transaction's function returned) and all others are returned unchanged.
// Bolt applies it to every transaction; a Store of another kind may too.
func Classify(err error) error {
	switch {
	case err == nil || errdefs.Classified(err):
		return err
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return errdefs.ResourceExhaustedf("the bridge's state directory is full, so nothing was changed: free space on it (%w)", err)
	case errors.Is(err, syscall.EROFS):
		return errdefs.FailedPreconditionf("the bridge's state directory is read-only, so nothing was changed (%w)", err)
	}
	return err
}
