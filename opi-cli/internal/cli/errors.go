package cli

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// explain turns an error into a sentence a person can act on: what went
// wrong and, where it is clear, what to try.
func explain(err error, addr string) string {
	st, ok := status.FromError(err)
	if !ok {
		return err.Error()
	}
	msg := st.Message()
	switch st.Code() {
	case codes.Unavailable:
		// Most specific first: a plaintext server's reply to a TLS hello is
		// itself a "tls:" handshake error, and must not read as a CA problem.
		switch {
		case strings.Contains(msg, "first record does not look like a TLS handshake"), strings.Contains(msg, "EOF"):
			return fmt.Sprintf("the service at %s did not speak TLS: %s\n  if it runs with --insecure-plaintext, pass --insecure", addr, msg)
		case strings.Contains(msg, "certificate"), strings.Contains(msg, "tls:"), strings.Contains(msg, "handshake"):
			return fmt.Sprintf("TLS with %s failed: %s\n  check --tls-ca (the CA that signed the service's certificate), --tls-cert/--tls-key (if the service requires client certificates), or --insecure (if the service runs plaintext)", addr, msg)
		case strings.Contains(msg, "connection refused"), strings.Contains(msg, "no such host"), strings.Contains(msg, "i/o timeout"):
			return fmt.Sprintf("cannot reach a service at %s: %s\n  is it running? check --addr or OPI_ADDR", addr, msg)
		}
		return fmt.Sprintf("the service at %s is unavailable: %s", addr, msg)
	case codes.DeadlineExceeded:
		return fmt.Sprintf("no answer from %s in time: %s\n  raise --timeout, or check the service's health", addr, msg)
	case codes.Unauthenticated:
		return fmt.Sprintf("the service refused who you are: %s\n  pass a client certificate with --tls-cert and --tls-key", msg)
	case codes.PermissionDenied:
		return fmt.Sprintf("not allowed: %s\n  this needs a certificate with the admin role", msg)
	case codes.Unimplemented:
		return fmt.Sprintf("the service at %s does not offer this: %s\n  is --addr pointing at the right service?", addr, msg)
	}
	return fmt.Sprintf("%s: %s", strings.ToLower(splitCamel(st.Code().String())), msg)
}

// splitCamel turns "InvalidArgument" into "Invalid argument".
func splitCamel(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

var errBadOutput = errors.New("unknown output format: use table, json or yaml")
