package bridge

import (
	"context"
	"errors"
	"syscall"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/store"
)

// classifiedStore gives the intent store's own failures the class a
// client can act on: a full state disk is not a bug of the bridge
// (Internal) but ResourceExhausted, a read-only one FailedPrecondition.
// Errors the transaction's function returned keep their class.
type classifiedStore struct{ store.Store }

func (s classifiedStore) View(ctx context.Context, fn func(store.Tx) error) error {
	return classifyStoreError(s.Store.View(ctx, fn))
}

func (s classifiedStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return classifyStoreError(s.Store.Update(ctx, fn))
}

func classifyStoreError(err error) error {
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
