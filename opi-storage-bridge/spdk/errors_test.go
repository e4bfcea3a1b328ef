package spdk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/errdefs/errgrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestClassifyGivesEachSPDKErrorCodeItsClass(t *testing.T) {
	tests := []struct {
		name    string
		code    int
		message string
		want    codes.Code
	}{
		{"File exists (-17) is AlreadyExists", -17, "File exists", codes.AlreadyExists},
		{"Operation already in progress (-114) is AlreadyExists", -114, "A controller named nvme0 already exists", codes.AlreadyExists},
		{"No such device (-19) is NotFound", -19, "No such device", codes.NotFound},
		{"No such file or directory (-2) is NotFound", -2, "No such file or directory", codes.NotFound},
		{"No such device or address (-6) is NotFound", -6, "No such device or address", codes.NotFound},
		{"Invalid argument (-22) is InvalidArgument", -22, "Invalid argument", codes.InvalidArgument},
		{"Invalid parameters (-32602) is InvalidArgument", -32602, "Invalid parameters", codes.InvalidArgument},
		{"Method not found (-32601) is Unimplemented", -32601, "Method not found", codes.Unimplemented},
		{"Operation not supported (-95) is Unimplemented", -95, "Operation not supported", codes.Unimplemented},
		{"wrong RPC state (-1) is FailedPrecondition", -1, "Method may only be called after framework is initialized using framework_start_init RPC.", codes.FailedPrecondition},
		{"Device or resource busy (-16) is FailedPrecondition", -16, "Device or resource busy", codes.FailedPrecondition},
		{"Cannot allocate memory (-12) is ResourceExhausted", -12, "Cannot allocate memory", codes.ResourceExhausted},
		{"No space left on device (-28) is ResourceExhausted", -28, "No space left on device", codes.ResourceExhausted},
		{"Internal error (-32603) is Internal", -32603, "spdk_json_decode_object failed", codes.Internal},
		{"Parse error (-32700) is Internal", -32700, "Parse error", codes.Internal},
		{"Invalid request (-32600) is Internal", -32600, "Invalid request", codes.Internal},
		{"Input/output error (-5) is Internal", -5, "Input/output error", codes.Internal},
	}
	f := newFakeSPDK(t, func(r *fakeRequest) {
		for _, tt := range tests {
			if r.Method == tt.name {
				r.fail(tt.code, tt.message)
				return
			}
		}
	})
	c := New(f.path)
	defer c.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Call(context.Background(), tt.name, nil, nil)
			var e *Error
			if !errors.As(err, &e) || e.Code != tt.code || e.Method != tt.name || e.Message != tt.message {
				t.Fatalf("Call = %#v, want *Error{%d, %q, %q}", err, tt.code, tt.message, tt.name)
			}
			if !IsCode(err, tt.code) {
				t.Errorf("IsCode(err, %d) = false", tt.code)
			}
			classified := Classify(err)
			if !errors.As(classified, &e) {
				t.Errorf("Classify lost the *Error cause")
			}
			st := status.Convert(errgrpc.ToStatus(classified))
			if st.Code() != tt.want {
				t.Errorf("code = %v, want %v", st.Code(), tt.want)
			}
			if !strings.Contains(st.Message(), tt.name) || !strings.Contains(st.Message(), tt.message) {
				t.Errorf("message %q does not name the method and SPDK's message", st.Message())
			}
		})
	}
}

func TestClassifyClientSideFailures(t *testing.T) {
	wrapped := func(err error) error { return fmt.Errorf("spdk bdev_get_bdevs: %w", err) }
	tests := []struct {
		name string
		err  error
		want codes.Code
	}{
		{"connection refused is Unavailable", wrapped(fmt.Errorf("%w: dial unix: %w", ErrUnavailable, syscall.ECONNREFUSED)), codes.Unavailable},
		{"a bare connection refused is Unavailable", syscall.ECONNREFUSED, codes.Unavailable},
		{"a missing socket is Unavailable", wrapped(syscall.ENOENT), codes.Unavailable},
		{"a lost connection is Unavailable", wrapped(fmt.Errorf("%w: %w", errConnLost, io.EOF)), codes.Unavailable},
		{"a closed client is Unavailable", wrapped(ErrClosed), codes.Unavailable},
		{"an expired context is DeadlineExceeded", wrapped(context.DeadlineExceeded), codes.DeadlineExceeded},
		{"a cancelled context is Canceled", wrapped(context.Canceled), codes.Canceled},
		{"an oversize request is InvalidArgument", wrapped(ErrRequestTooLarge), codes.InvalidArgument},
		{"an undecodable result is Internal", wrapped(errors.New("decode result: bad")), codes.Internal},
		{"an error classified already keeps its class", errdefs.FailedPreconditionf("subsystem busy"), codes.FailedPrecondition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errgrpc.Code(Classify(tt.err)); got != tt.want {
				t.Errorf("Classify(%v) code = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
	if Classify(nil) != nil {
		t.Error("Classify(nil) != nil")
	}
}

func TestNotFoundAndAlreadyExistsHelpers(t *testing.T) {
	tests := []struct {
		name          string
		err           error
		notFound      bool
		alreadyExists bool
	}{
		{"No such device is not found", &Error{Code: -19}, true, false},
		{"No such file or directory is not found", fmt.Errorf("wrapped: %w", &Error{Code: -2}), true, false},
		{"File exists already exists", &Error{Code: -17}, false, true},
		{"Invalid parameters is neither", &Error{Code: -32602}, false, false},
		{"a connection error is neither", ErrUnavailable, false, false},
		{"nil is neither", nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsNotFound(tt.err); got != tt.notFound {
				t.Errorf("IsNotFound = %v", got)
			}
			if got := IsAlreadyExists(tt.err); got != tt.alreadyExists {
				t.Errorf("IsAlreadyExists = %v", got)
			}
		})
	}
}
