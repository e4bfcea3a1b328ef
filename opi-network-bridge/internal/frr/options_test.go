package frr

import (
	"errors"
	"testing"

	"github.com/opi-suite/opi/opi-kit/errdefs"
)

func TestNewRefusesWhatCannotWork(t *testing.T) {
	for _, tc := range []struct {
		name string
		asn  uint32
		opts []Option
		want error
	}{
		{"no AS number", 0, nil, errdefs.ErrInvalidArgument},
		{"a base as text and as a file", 65001, []Option{WithBase("x"), WithBaseFile("/x")}, errdefs.ErrInvalidArgument},
		{"no vtysh", 65001, []Option{WithBinaries("/nonexistent/vtysh", DefaultReload)}, errdefs.ErrFailedPrecondition},
		{"no frr-reload.py", 65001, []Option{WithBinaries(DefaultVtysh, "/nonexistent/frr-reload.py")}, errdefs.ErrFailedPrecondition},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.asn, tc.opts...); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}
