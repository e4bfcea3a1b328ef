package spdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/opi-suite/opi/opi-kit/errdefs"
)

// Error codes SPDK answers with that the storage bridge cares about: the
// JSON-RPC reserved codes, SPDK's wrong-state code and negative errno values
// (see the errors section of SPDK's JSON-RPC contract).
const (
	CodeParseError     = -32700 // malformed JSON; SPDK then closes the connection
	CodeInvalidRequest = -32600 // not a valid JSON-RPC request object
	CodeMethodNotFound = -32601 // no such method (or not allowed by --rpcs-allowed)
	CodeInvalidParams  = -32602 // params decode failure or a domain check
	CodeInternalError  = -32603 // generic failure, also many decode failures
	CodeInvalidState   = -1     // wrong RPC state (same number as -EPERM)
	CodeENOENT         = -2     // No such file or directory
	CodeEIO            = -5     // Input/output error (also: cannot connect)
	CodeENXIO          = -6     // No such device or address
	CodeENOMEM         = -12    // Cannot allocate memory
	CodeEBUSY          = -16    // Device or resource busy
	CodeEEXIST         = -17    // File exists
	CodeENODEV         = -19    // No such device
	CodeEISDIR         = -21    // Is a directory
	CodeEINVAL         = -22    // Invalid argument
	CodeENOSPC         = -28    // No space left on device
	CodeENOTSUP        = -95    // Operation not supported
	CodeEALREADY       = -114   // Operation already in progress
)

// Error is a JSON-RPC error response from SPDK.
type Error struct {
	// Code is SPDK's error code: a JSON-RPC reserved code, -1 for a wrong
	// RPC state, or a negative errno.
	Code int
	// Message is SPDK's message, often strerror text ("No such device").
	Message string
	// Method is the SPDK method that failed.
	Method string
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("spdk %s: %s (code %d)", e.Method, e.Message, e.Code)
}

var (
	// ErrUnavailable marks every error caused by the connection rather than by
	// SPDK's answer: no socket, connection refused, connection lost with the
	// call in flight. errors.Is(err, ErrUnavailable) reports it.
	ErrUnavailable = errors.New("spdk unavailable")
	// ErrClosed is returned by calls on a closed Client (it wraps ErrUnavailable).
	ErrClosed = fmt.Errorf("%w: client closed", ErrUnavailable)
	// ErrRequestTooLarge is returned, before anything is sent, for a request
	// larger than MaxRequestSize.
	ErrRequestTooLarge = errors.New("request larger than SPDK accepts")
)

// codeClasses is the one table from SPDK error codes to the suite's error
// classes. Codes not listed (parse error, invalid request, internal error,
// EIO, ...) are ErrInternal: they say the bridge or SPDK misbehaved, not
// the user.
var codeClasses = map[int]error{
	CodeEEXIST:         errdefs.ErrAlreadyExists,
	CodeEALREADY:       errdefs.ErrAlreadyExists,
	CodeENODEV:         errdefs.ErrNotFound,
	CodeENOENT:         errdefs.ErrNotFound,
	CodeENXIO:          errdefs.ErrNotFound,
	CodeEISDIR:         errdefs.ErrInvalidArgument,
	CodeEINVAL:         errdefs.ErrInvalidArgument,
	CodeInvalidParams:  errdefs.ErrInvalidArgument,
	CodeMethodNotFound: errdefs.ErrUnimplemented,
	CodeENOTSUP:        errdefs.ErrUnimplemented,
	CodeInvalidState:   errdefs.ErrFailedPrecondition,
	CodeEBUSY:          errdefs.ErrFailedPrecondition,
	CodeENOMEM:         errdefs.ErrResourceExhausted,
	CodeENOSPC:         errdefs.ErrResourceExhausted,
}

// CodeClass returns the errdefs class an SPDK error code maps to.
func CodeClass(spdkCode int) error {
	if c, ok := codeClasses[spdkCode]; ok {
		return c
	}
	return errdefs.ErrInternal
}

// Classify gives an error returned by a Client (or any Caller) its errdefs
// class, keeping its message (which names the SPDK method and carries
// SPDK's message) and its cause (errors.As(err, *Error) still works). It is
// the one place where SPDK errors are classified: SPDK error responses by
// code (-17 already exists; -19, -2 not found; -22, -32602 invalid
// argument; -32601 unimplemented; -1 failed precondition; see CodeClass),
// connection failures unavailable, an oversize request invalid argument.
// A connection failure is unavailable even when the dial also ran out of
// time: retrying is what helps. nil stays nil; an error that already has a
// class, or is only a context error, is returned unchanged.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	if c := errdefs.Class(err); c != nil && c != context.Canceled && c != context.DeadlineExceeded {
		return err
	}
	var e *Error
	switch {
	case errors.As(err, &e):
		return errdefs.Wrap(CodeClass(e.Code), err)
	case errors.Is(err, ErrRequestTooLarge):
		return errdefs.Wrap(errdefs.ErrInvalidArgument, err)
	case isUnavailable(err):
		return errdefs.Wrap(errdefs.ErrUnavailable, err)
	case errdefs.Classified(err):
		return err // a context error: the runtime maps it
	default:
		return errdefs.Wrap(errdefs.ErrInternal, err)
	}
}

// isUnavailable reports errors that mean "SPDK cannot be reached right now",
// also when they did not come through this package's wrapping.
func isUnavailable(err error) bool {
	return errors.Is(err, ErrUnavailable) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, os.ErrNotExist) ||
		errors.Is(err, net.ErrClosed) ||
		errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}

// IsCode reports whether err is an SPDK error response with the given code.
func IsCode(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// IsNotFound reports whether err is SPDK saying the object does not exist
// (-19 No such device or -2 No such file or directory): what an idempotent
// delete treats as "already gone".
func IsNotFound(err error) bool {
	return IsCode(err, CodeENODEV) || IsCode(err, CodeENOENT)
}

// IsAlreadyExists reports whether err is SPDK refusing a create because the
// name is taken (-17 File exists).
func IsAlreadyExists(err error) bool {
	return IsCode(err, CodeEEXIST)
}
