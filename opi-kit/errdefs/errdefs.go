// Package errdefs is the error vocabulary every bridge speaks: a few classes
// of failure that say what a client can do about it, independent of gRPC
// and of any backend.
//
// The layers of a bridge use it like this (containerd's errdefs is the
// model):
//
//   - an adapter classifies its backend's errors (an SPDK error code, a VICI
//     refusal, an errno from netlink) with Wrap or the constructors;
//   - the domain returns classified errors for its own rules;
//   - the API layer returns whatever the domain returned, unchanged;
//   - the runtime (opi-kit/server, through errdefs/errgrpc) turns the class
//     into a gRPC status, once, for every call.
//
// Nothing outside errgrpc and the runtime builds a gRPC status. The package
// depends on the standard library only, so clients and tools may import it.
package errdefs

import (
	"context"
	"errors"
	"fmt"
)

// The classes. Test with errors.Is(err, errdefs.ErrNotFound); produce with
// the constructors or Wrap so that the message stays readable.
var (
	// ErrInvalidArgument: the request is malformed whatever the state of
	// the system (a bad name, page token, field mask, id or value).
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrNotFound: the named resource (or its parent) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: a resource with that name (or that identity, such
	// as an address another resource holds) exists already.
	ErrAlreadyExists = errors.New("already exists")
	// ErrFailedPrecondition: the request is valid but the system is not in
	// a state to perform it (the resource is still referenced, the backend
	// lacks the feature); retrying unchanged will not help.
	ErrFailedPrecondition = errors.New("failed precondition")
	// ErrResourceExhausted: a quota, a size limit or the space of the
	// backend or of the state disk is used up.
	ErrResourceExhausted = errors.New("resource exhausted")
	// ErrUnavailable: the backend cannot be reached now, or the resource is
	// being changed by something that will finish; retrying may succeed.
	ErrUnavailable = errors.New("unavailable")
	// ErrUnimplemented: the operation is not supported by this bridge or
	// this backend at all.
	ErrUnimplemented = errors.New("unimplemented")
	// ErrInternal: the bridge or its backend misbehaved; the client can do
	// nothing about it. Unclassified errors are treated the same way.
	ErrInternal = errors.New("internal")
)

// Classes lists every class, in the order Class tests them.
var Classes = []error{
	ErrInvalidArgument, ErrNotFound, ErrAlreadyExists, ErrFailedPrecondition,
	ErrResourceExhausted, ErrUnavailable, ErrUnimplemented, ErrInternal,
}

// Error carries a message and the class it belongs to. Its message is what
// the client sees, so it reads without the class prefix.
type Error struct {
	class error
	err   error
}

// Error returns the message without the class.
func (e *Error) Error() string { return e.err.Error() }

// Is makes errors.Is(err, errdefs.ErrNotFound) work through any wrapping.
func (e *Error) Is(target error) bool { return target == e.class }

// Unwrap exposes the cause, so callers can still inspect it (a backend's
// own error type, for instance).
func (e *Error) Unwrap() error { return e.err }

// Wrap gives err the class without changing its message; nil stays nil.
// Adapters use it to classify a backend error they return as is:
// errdefs.Wrap(errdefs.ErrNotFound, err).
func Wrap(class, err error) error {
	if err == nil {
		return nil
	}
	return &Error{class: class, err: err}
}

func newf(class error, format string, args []any) error {
	return &Error{class: class, err: fmt.Errorf(format, args...)}
}

// InvalidArgumentf returns an error of class ErrInvalidArgument.
func InvalidArgumentf(format string, args ...any) error {
	return newf(ErrInvalidArgument, format, args)
}

// NotFoundf returns an error of class ErrNotFound.
func NotFoundf(format string, args ...any) error { return newf(ErrNotFound, format, args) }

// AlreadyExistsf returns an error of class ErrAlreadyExists.
func AlreadyExistsf(format string, args ...any) error {
	return newf(ErrAlreadyExists, format, args)
}

// FailedPreconditionf returns an error of class ErrFailedPrecondition.
func FailedPreconditionf(format string, args ...any) error {
	return newf(ErrFailedPrecondition, format, args)
}

// ResourceExhaustedf returns an error of class ErrResourceExhausted.
func ResourceExhaustedf(format string, args ...any) error {
	return newf(ErrResourceExhausted, format, args)
}

// Unavailablef returns an error of class ErrUnavailable.
func Unavailablef(format string, args ...any) error { return newf(ErrUnavailable, format, args) }

// Unimplementedf returns an error of class ErrUnimplemented.
func Unimplementedf(format string, args ...any) error {
	return newf(ErrUnimplemented, format, args)
}

// Internalf returns an error of class ErrInternal.
func Internalf(format string, args ...any) error { return newf(ErrInternal, format, args) }

// Class returns the class of err: the first of Classes that err is, or
// context.Canceled / context.DeadlineExceeded when err is one of those,
// or nil when err carries no class. An explicit class wins over a context
// error it wraps: the layer that classified knew better.
func Class(err error) error {
	if err == nil {
		return nil
	}
	for _, c := range Classes {
		if errors.Is(err, c) {
			return c
		}
	}
	for _, c := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, c) {
			return c
		}
	}
	return nil
}

// Classified reports whether err carries a class (or is a context error).
// An adapter with its own mapping for unclassified causes uses it to leave
// alone what a lower layer classified already.
func Classified(err error) bool { return Class(err) != nil }

// Unreachable reports whether err means the backend could not be reached or
// the work was cancelled, rather than the backend refusing a request: a
// replay pass stops on it instead of marking resources failed.
func Unreachable(err error) bool {
	c := Class(err)
	return c == ErrUnavailable || c == context.Canceled || c == context.DeadlineExceeded
}
