package names

import (
	"errors"
	"fmt"
)

// ErrInvalid is the class of every error this package returns for a name,
// id or pattern that is malformed. Test for it with errors.Is; aip turns
// these errors into its InvalidArgument class, which is what a client that
// sent the name gets.
var ErrInvalid = errors.New("invalid resource name")

// invalidError carries a message written for the client, which therefore
// reads without the class prefix.
type invalidError struct{ err error }

func (e *invalidError) Error() string        { return e.err.Error() }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }
func (e *invalidError) Unwrap() error        { return e.err }

func invalidf(format string, args ...any) error {
	return &invalidError{err: fmt.Errorf(format, args...)}
}
