package errgrpc_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/errdefs/errgrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestToStatus(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		code    codes.Code
		message string
	}{
		{name: "no error stays no error", err: nil, code: codes.OK},
		{name: "invalid argument keeps its message", err: errdefs.InvalidArgumentf("bad id %q", "X"), code: codes.InvalidArgument, message: `bad id "X"`},
		{name: "a wrapped not-found is still not found", err: fmt.Errorf("get: %w", errdefs.NotFoundf("nvmeSubsystems/s1 does not exist")), code: codes.NotFound, message: "get: nvmeSubsystems/s1 does not exist"},
		{name: "a bare sentinel maps too", err: fmt.Errorf("x: %w", errdefs.ErrAlreadyExists), code: codes.AlreadyExists},
		{name: "failed precondition maps", err: errdefs.FailedPreconditionf("in use"), code: codes.FailedPrecondition},
		{name: "resource exhausted maps", err: errdefs.ResourceExhaustedf("no space left on device"), code: codes.ResourceExhausted},
		{name: "unavailable maps", err: errdefs.Unavailablef("spdk down"), code: codes.Unavailable},
		{name: "unimplemented maps", err: errdefs.Unimplementedf("no vfio-user in this SPDK"), code: codes.Unimplemented},
		{name: "internal maps", err: errdefs.Internalf("SPDK answered garbage"), code: codes.Internal},
		{name: "Wrap classifies without changing the message", err: errdefs.Wrap(errdefs.ErrNotFound, errors.New("spdk: No such device")), code: codes.NotFound, message: "spdk: No such device"},
		{name: "a deadline maps to deadline exceeded", err: fmt.Errorf("call: %w", context.DeadlineExceeded), code: codes.DeadlineExceeded},
		{name: "a class wins over a context error it wraps", err: errdefs.Wrap(errdefs.ErrUnavailable, context.DeadlineExceeded), code: codes.Unavailable},
		{name: "a gRPC status passes through", err: status.Error(codes.PermissionDenied, "no"), code: codes.PermissionDenied, message: "no"},
		{name: "a wrapped gRPC status keeps its code", err: fmt.Errorf("calling spdk: %w", status.Error(codes.Unavailable, "down")), code: codes.Unavailable, message: "calling spdk: down"},
		{name: "a class wins over the gRPC status it wraps, with no nested rpc error text", err: errdefs.FailedPreconditionf("subsystem not in SPDK yet: %w", status.Error(codes.NotFound, "no such device")), code: codes.FailedPrecondition, message: "subsystem not in SPDK yet: no such device"},
		{name: "anything else is internal", err: errors.New("disk on fire"), code: codes.Internal, message: "disk on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := status.Convert(errgrpc.ToStatus(tt.err))
			if got.Code() != tt.code {
				t.Fatalf("code = %v, want %v", got.Code(), tt.code)
			}
			if tt.message != "" && got.Message() != tt.message {
				t.Fatalf("message = %q, want %q", got.Message(), tt.message)
			}
		})
	}
}

func TestEveryClassHasItsOwnCode(t *testing.T) {
	seen := map[codes.Code]error{}
	for _, c := range errdefs.Classes {
		code := errgrpc.Code(errdefs.Wrap(c, errors.New("x")))
		if code == codes.Unknown || code == codes.OK {
			t.Errorf("class %v maps to %v", c, code)
		}
		if prev, dup := seen[code]; dup {
			t.Errorf("classes %v and %v both map to %v", prev, c, code)
		}
		seen[code] = c
	}
}

func TestToErrorGivesClientsTheClassBack(t *testing.T) {
	for _, c := range errdefs.Classes {
		sent := errgrpc.ToStatus(errdefs.Wrap(c, errors.New("x")))
		got := errgrpc.ToError(sent)
		if !errors.Is(got, c) {
			t.Errorf("%v: after a round trip errors.Is(err, class) is false (%v)", c, got)
		}
		if s, ok := status.FromError(got); !ok || s.Code() != errgrpc.Code(sent) {
			t.Errorf("%v: the status is no longer reachable from the error", c)
		}
	}
	if err := errgrpc.ToError(errors.New("plain")); errdefs.Classified(err) {
		t.Errorf("a non-status error got a class: %v", err)
	}
}

func TestClassAndUnreachable(t *testing.T) {
	for _, tt := range []struct {
		name        string
		err         error
		class       error
		unreachable bool
	}{
		{"no error has no class", nil, nil, false},
		{"a plain error has no class", errors.New("backend said -19"), nil, false},
		{"a gRPC status has no class", status.Error(codes.NotFound, "no"), nil, false},
		{"unavailable is unreachable", fmt.Errorf("x: %w", errdefs.Unavailablef("socket gone")), errdefs.ErrUnavailable, true},
		{"a cancelled context is unreachable", fmt.Errorf("x: %w", context.Canceled), context.Canceled, true},
		{"a refusal is not unreachable", errdefs.InvalidArgumentf("bad"), errdefs.ErrInvalidArgument, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := errdefs.Class(tt.err); got != tt.class {
				t.Errorf("Class = %v, want %v", got, tt.class)
			}
			if got := errdefs.Classified(tt.err); got != (tt.class != nil) {
				t.Errorf("Classified = %v", got)
			}
			if got := errdefs.Unreachable(tt.err); got != tt.unreachable {
				t.Errorf("Unreachable = %v, want %v", got, tt.unreachable)
			}
		})
	}
}

func TestAMessageQuotingHugeInputIsCut(t *testing.T) {
	huge := strings.Repeat("é", 3<<20) // 6 MB of two-byte runes
	got := status.Convert(errgrpc.ToStatus(errdefs.InvalidArgumentf("name %s is bad", huge))).Message()
	if len(got) > errgrpc.MaxMessage+64 || !strings.Contains(got, "bytes in all") || !utf8.ValidString(got) {
		t.Fatalf("message of %d bytes (valid UTF-8: %v), want at most about %d, cut on a rune boundary", len(got), utf8.ValidString(got), errgrpc.MaxMessage)
	}
}
