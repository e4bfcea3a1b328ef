package aip_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/opi-suite/opi/opi-kit/aip"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		code    codes.Code
		message string
	}{
		{name: "no error stays no error", err: nil, code: codes.OK},
		{name: "invalid argument keeps its message", err: aip.InvalidArgumentf("bad id %q", "X"), code: codes.InvalidArgument, message: `bad id "X"`},
		{name: "a wrapped not-found is still not found", err: fmt.Errorf("get: %w", aip.NotFoundf("nvmeSubsystems/s1 does not exist")), code: codes.NotFound, message: "get: nvmeSubsystems/s1 does not exist"},
		{name: "a bare sentinel maps too", err: fmt.Errorf("x: %w", aip.ErrAlreadyExists), code: codes.AlreadyExists},
		{name: "failed precondition maps", err: aip.FailedPreconditionf("in use"), code: codes.FailedPrecondition},
		{name: "unavailable maps", err: aip.Unavailablef("spdk down"), code: codes.Unavailable},
		{name: "a deadline maps to deadline exceeded", err: fmt.Errorf("call: %w", context.DeadlineExceeded), code: codes.DeadlineExceeded},
		{name: "a gRPC status passes through", err: status.Error(codes.PermissionDenied, "no"), code: codes.PermissionDenied},
		{name: "a wrapped gRPC status keeps its code", err: fmt.Errorf("calling spdk: %w", status.Error(codes.Unavailable, "down")), code: codes.Unavailable},
		{name: "a class wins over the gRPC status it wraps", err: aip.FailedPreconditionf("subsystem not in SPDK yet: %w", status.Error(codes.NotFound, "no such device")), code: codes.FailedPrecondition},
		{name: "anything else is internal", err: errors.New("disk on fire"), code: codes.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := status.Convert(aip.Status(tt.err))
			if got.Code() != tt.code {
				t.Fatalf("code = %v, want %v", got.Code(), tt.code)
			}
			if tt.message != "" && got.Message() != tt.message {
				t.Fatalf("message = %q, want %q", got.Message(), tt.message)
			}
		})
	}
}

func TestClassifiedTellsWhetherStatusMapsByClass(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"a class is classified", aip.NotFoundf("gone"), true},
		{"a wrapped class is classified", fmt.Errorf("x: %w", aip.ErrFailedPrecondition), true},
		{"a context error is classified", fmt.Errorf("x: %w", context.Canceled), true},
		{"a gRPC status is not", status.Error(codes.NotFound, "no"), false},
		{"a plain error is not", errors.New("backend said -19"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := aip.Classified(tt.err); got != tt.want {
				t.Fatalf("Classified = %v, want %v", got, tt.want)
			}
		})
	}
}
