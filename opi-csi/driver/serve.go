package driver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"google.golang.org/grpc"
)

// Listen opens a CSI endpoint: "unix:///path/csi.sock" (a stale socket
// file is removed first) or "tcp://host:port".
func Listen(endpoint string) (net.Listener, error) {
	scheme, addr, ok := strings.Cut(endpoint, "://")
	if !ok {
		return nil, fmt.Errorf("endpoint %q: want unix:///path or tcp://host:port", endpoint)
	}
	switch scheme {
	case "unix":
		if err := os.Remove(addr); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("removing the stale socket: %w", err)
		}
		return net.Listen("unix", addr)
	case "tcp":
		return net.Listen("tcp", addr)
	}
	return nil, fmt.Errorf("endpoint %q: unknown scheme %q", endpoint, scheme)
}

// Serve serves the driver on l until ctx ends, then stops gracefully.
func (d *Driver) Serve(ctx context.Context, l net.Listener) error {
	s := grpc.NewServer(grpc.UnaryInterceptor(d.Interceptor()))
	d.Register(s)
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			s.GracefulStop()
		case <-done:
		}
	}()
	err := s.Serve(l)
	close(done)
	return err
}
