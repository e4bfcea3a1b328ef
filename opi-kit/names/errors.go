package names

import (
	"errors"
	"fmt"

	"github.com/opi-suite/opi/opi-kit/errdefs"
)

// ErrInvalid is the class of every error this package returns for a name,
// id or pattern that is malformed. Test for it with errors.Is. The errors
// are also errdefs.ErrInvalidArgument, so a bridge may return them as they
// are: a client that sent the name gets InvalidArgument.
var ErrInvalid = errors.New("invalid resource name")

// invalidError carries a message written for the client, which therefore
// reads without the class prefix.
type invalidError struct{ err error }

func (e *invalidError) Error() string { return e.err.Error() }
func (e *invalidError) Is(target error) bool {
	return target == ErrInvalid || target == errdefs.ErrInvalidArgument
}
func (e *invalidError) Unwrap() error { return e.err }

func invalidf(format string, args ...any) error {
	return &invalidError{err: fmt.Errorf(format, args...)}
}
