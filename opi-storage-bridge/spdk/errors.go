package spdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
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
	CodeENXIO          = -6     // No such device or address
	CodeENOMEM         = -12    // Cannot allocate memory
	CodeEBUSY          = -16    // Device or resource busy
	CodeEEXIST         = -17    // File exists
	CodeENODEV         = -19    // No such device
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

// codeMap is the one table from SPDK error codes to gRPC codes. Codes not
// listed (parse error, invalid request, internal error, EIO, ...) become
// Internal: they say the bridge or SPDK misbehaved, not the user.
var codeMap = map[int]codes.Code{
	CodeEEXIST:         codes.AlreadyExists,
	CodeEALREADY:       codes.AlreadyExists,
	CodeENODEV:         codes.NotFound,
	CodeENOENT:         codes.NotFound,
	CodeENXIO:          codes.NotFound,
	CodeEINVAL:         codes.InvalidArgument,
	CodeInvalidParams:  codes.InvalidArgument,
	CodeMethodNotFound: codes.Unimplemented,
	CodeENOTSUP:        codes.Unimplemented,
	CodeInvalidState:   codes.FailedPrecondition,
	CodeEBUSY:          codes.FailedPrecondition,
	CodeENOMEM:         codes.ResourceExhausted,
	CodeENOSPC:         codes.ResourceExhausted,
}

// GRPCCode returns the gRPC code an SPDK error code maps to.
func GRPCCode(spdkCode int) codes.Code {
	if c, ok := codeMap[spdkCode]; ok {
		return c
	}
	return codes.Internal
}

// Status converts an error returned by a Client (or any Caller) into a gRPC
// status error; it is the one place where SPDK errors become gRPC codes.
// SPDK error responses map by code (-17 AlreadyExists; -19, -2 NotFound;
// -22, -32602 InvalidArgument; -32601 Unimplemented; -1 FailedPrecondition;
// see GRPCCode), connection failures become Unavailable, an expired context
// DeadlineExceeded, a cancelled one Canceled, an oversize request
// InvalidArgument and anything else Internal. The message names the SPDK
// method and carries SPDK's message. nil stays nil and an error that already
// is a gRPC status is returned unchanged.
func Status(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	var e *Error
	switch {
	case errors.As(err, &e):
		return status.Error(GRPCCode(e.Code), e.Error())
	case errors.Is(err, ErrRequestTooLarge):
		return status.Error(codes.InvalidArgument, err.Error())
	case isUnavailable(err):
		return status.Error(codes.Unavailable, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	default:
		return status.Error(codes.Internal, err.Error())
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
