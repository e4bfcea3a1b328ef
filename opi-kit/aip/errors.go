package aip

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The sentinel errors name the few failure classes the domain layer can
// report. Domain code returns them wrapped (through the constructors below or
// fmt.Errorf("...: %w", aip.ErrNotFound)); the API layer passes every error
// through Status once, so no bridge maps errors to gRPC codes by hand.
var (
	// ErrInvalidArgument: the request is malformed whatever the state of the
	// system (a bad name, page token, field mask or id).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrNotFound: the named resource (or its parent) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: a resource with that name exists with a different spec.
	ErrAlreadyExists = errors.New("already exists")
	// ErrFailedPrecondition: the request is valid but the system is not in a
	// state to perform it (for example the resource is still referenced).
	ErrFailedPrecondition = errors.New("failed precondition")
	// ErrUnavailable: the backend cannot be reached now; retrying may succeed.
	ErrUnavailable = errors.New("unavailable")
)

// Error carries a human-readable message and the class it belongs to. The
// message is what the client sees, so it reads without the class prefix.
type Error struct {
	class error
	err   error
}

// Error returns the message without the class, ready for a gRPC status.
func (e *Error) Error() string { return e.err.Error() }

// Is makes errors.Is(err, aip.ErrNotFound) work through any wrapping.
func (e *Error) Is(target error) bool { return target == e.class }

// Unwrap exposes a cause given with %w, so callers can still inspect it.
func (e *Error) Unwrap() error { return e.err }

func newError(class error, format string, args []any) error {
	return &Error{class: class, err: fmt.Errorf(format, args...)}
}

// InvalidArgumentf returns an error that Status maps to InvalidArgument.
func InvalidArgumentf(format string, args ...any) error {
	return newError(ErrInvalidArgument, format, args)
}

// NotFoundf returns an error that Status maps to NotFound.
func NotFoundf(format string, args ...any) error { return newError(ErrNotFound, format, args) }

// AlreadyExistsf returns an error that Status maps to AlreadyExists.
func AlreadyExistsf(format string, args ...any) error {
	return newError(ErrAlreadyExists, format, args)
}

// FailedPreconditionf returns an error that Status maps to FailedPrecondition.
func FailedPreconditionf(format string, args ...any) error {
	return newError(ErrFailedPrecondition, format, args)
}

// Unavailablef returns an error that Status maps to Unavailable; backend
// adapters use it when the backend process is down.
func Unavailablef(format string, args ...any) error {
	return newError(ErrUnavailable, format, args)
}

var classCodes = []struct {
	class error
	code  codes.Code
}{
	{ErrInvalidArgument, codes.InvalidArgument},
	{ErrNotFound, codes.NotFound},
	{ErrAlreadyExists, codes.AlreadyExists},
	{ErrFailedPrecondition, codes.FailedPrecondition},
	{ErrUnavailable, codes.Unavailable},
	{context.Canceled, codes.Canceled},
	{context.DeadlineExceeded, codes.DeadlineExceeded},
}

// Classified reports whether err carries one of the classes above (or a
// context error), so that Status maps it by class. A layer with its own
// mapping for unclassified causes (a backend's error codes) uses it to
// decide which mapping applies.
func Classified(err error) bool {
	for _, cc := range classCodes {
		if errors.Is(err, cc.class) {
			return true
		}
	}
	return false
}

// Status turns a domain error into the gRPC status error a handler returns:
// this is the one place where error classes become codes. nil stays nil; an
// error of a class keeps the class's code even when it wraps a backend's
// gRPC status (the layer that classified it knew better than the cause); an
// error that is, or wraps, a gRPC status keeps that status's code; anything
// else becomes Internal.
func Status(err error) error {
	if err == nil {
		return nil
	}
	for _, cc := range classCodes {
		if errors.Is(err, cc.class) {
			return status.Error(cc.code, err.Error())
		}
	}
	if s, ok := status.FromError(err); ok {
		return s.Err()
	}
	return status.Error(codes.Internal, err.Error())
}
