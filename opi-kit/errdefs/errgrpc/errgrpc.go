// Package errgrpc is the one place where errdefs classes become gRPC
// status codes (and back, for clients). The runtime installs its
// interceptors innermost, right around every handler, so handlers return
// domain errors as they are and metrics and logs see the final code.
package errgrpc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var classCodes = map[error]codes.Code{
	errdefs.ErrInvalidArgument:    codes.InvalidArgument,
	errdefs.ErrNotFound:           codes.NotFound,
	errdefs.ErrAlreadyExists:      codes.AlreadyExists,
	errdefs.ErrFailedPrecondition: codes.FailedPrecondition,
	errdefs.ErrResourceExhausted:  codes.ResourceExhausted,
	errdefs.ErrUnavailable:        codes.Unavailable,
	errdefs.ErrUnimplemented:      codes.Unimplemented,
	errdefs.ErrInternal:           codes.Internal,
	context.Canceled:              codes.Canceled,
	context.DeadlineExceeded:      codes.DeadlineExceeded,
}

// Code returns the gRPC code for err: its class's code; for an error that is
// (or wraps) a gRPC status and has no class, that status's code; OK for nil;
// Internal otherwise.
func Code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	if c := errdefs.Class(err); c != nil {
		return classCodes[c]
	}
	if s, ok := status.FromError(err); ok {
		return s.Code()
	}
	return codes.Internal
}

// ToStatus turns any error into the gRPC status error a handler returns; nil
// stays nil. A class wins over a gRPC status it wraps (the layer that
// classified knew better than the cause). The message is err's message,
// except that a wrapped status contributes its message only, never the
// "rpc error: code = ... desc = ..." rendering of it.
func ToStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(interface{ GRPCStatus() *status.Status }); ok && errdefs.Class(err) == nil {
		return err // already a status: leave code, message and details alone
	}
	return status.Error(Code(err), Message(err))
}

// MaxMessage bounds a status message: an error that quotes a client's
// input in full must not send (and log) megabytes back.
const MaxMessage = 2048

// Truncate cuts s to at most max bytes (on a UTF-8 boundary), saying how
// long it was.
func Truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (message cut: %d bytes in all)", s[:cut], len(s))
}

// Message renders err for a client or a resource's status message: the
// text of any gRPC status in its chain is replaced by that status's own
// message (never "rpc error: code = ... desc = ..."), cut at MaxMessage.
func Message(err error) string {
	return Truncate(message(err), MaxMessage)
}

func message(err error) string {
	msg := err.Error()
	for e := err; e != nil; e = errors.Unwrap(e) {
		se, ok := e.(interface{ GRPCStatus() *status.Status })
		if !ok {
			continue
		}
		inner := e.Error()
		if i := strings.Index(msg, inner); i >= 0 {
			msg = msg[:i] + se.GRPCStatus().Message() + msg[i+len(inner):]
		}
		break
	}
	return msg
}

// ToError turns a gRPC status error a client received into an errdefs
// class, keeping the status as the cause (status.FromError still works), so
// client code tests errors.Is(err, errdefs.ErrNotFound) whatever the
// transport. Codes without a class are returned unchanged.
func ToError(err error) error {
	s, ok := status.FromError(err)
	if !ok || err == nil {
		return err
	}
	for class, code := range classCodes {
		if code == s.Code() && class != context.Canceled && class != context.DeadlineExceeded {
			return errdefs.Wrap(class, err)
		}
	}
	return err
}

// UnaryServerInterceptor maps the handler's error with ToStatus.
func UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		return resp, ToStatus(err)
	}
}

// StreamServerInterceptor maps the stream handler's error with ToStatus.
func StreamServerInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return ToStatus(handler(srv, ss))
	}
}
