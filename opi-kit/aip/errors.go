package aip

import (
	"github.com/opi-suite/opi/opi-kit/errdefs"
)

// The error classes are errdefs's; aip re-exports the ones its own
// helpers (names, page tokens, field masks) return, so that a caller of
// aip needs no second import to test them.
var (
	ErrInvalidArgument    = errdefs.ErrInvalidArgument
	ErrNotFound           = errdefs.ErrNotFound
	ErrAlreadyExists      = errdefs.ErrAlreadyExists
	ErrFailedPrecondition = errdefs.ErrFailedPrecondition
	ErrUnavailable        = errdefs.ErrUnavailable
)

// Error is errdefs.Error.
type Error = errdefs.Error

// The constructors are errdefs's.
var (
	InvalidArgumentf    = errdefs.InvalidArgumentf
	NotFoundf           = errdefs.NotFoundf
	AlreadyExistsf      = errdefs.AlreadyExistsf
	FailedPreconditionf = errdefs.FailedPreconditionf
	Unavailablef        = errdefs.Unavailablef
)

// Classified is errdefs.Classified.
func Classified(err error) bool { return errdefs.Classified(err) }
