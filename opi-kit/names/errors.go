package names

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

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

// maxQuoted bounds how much of a client's input an error message repeats:
// enough to recognise it, never the 3 MB a careless or hostile client sent
// (the message is returned and logged).
const maxQuoted = 64

// Quote returns s quoted for an error message, cut to its first 64 bytes
// with a note of how much was left out.
func Quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes in all)", strconv.Quote(s[:cut]), len(s))
}
