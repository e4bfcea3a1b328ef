package cli

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/opi-suite/opi/opi-cli/client"
)

// explain turns an error into a sentence a person can act on: what went
// wrong and, where it is clear, what to try. The advice depends on how the
// connection was configured (o) as well as on the error: a connection that
// closes means one thing to a plaintext client and another to a TLS one.
func explain(err error, o client.Options) string {
	st, ok := status.FromError(err)
	if !ok {
		return err.Error()
	}
	addr, msg := o.Addr, st.Message()
	switch st.Code() {
	case codes.Unavailable:
		return explainUnavailable(addr, msg, o.Insecure)
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

// explainUnavailable explains a connection that failed or broke. Most
// specific first: a plaintext server's reply to a TLS hello is itself a
// "tls:" handshake error, and must not read as a CA problem.
func explainUnavailable(addr, msg string, insecure bool) string {
	// grpc's words for a connection the other end closed or reset.
	closed := containsAny(msg, "EOF", "connection reset", "broken pipe", "connection closed", "transport is closing")
	// grpc's reader reports "error reading from server" only once the
	// service has spoken HTTP/2, so it was a gRPC service that went away.
	answered := containsAny(msg, "error reading from server", "transport is closing")
	switch {
	case !insecure && strings.Contains(msg, "first record does not look like a TLS handshake"):
		// Only a plaintext reply reads so; a TLS client can get it, a
		// plaintext one cannot.
		return fmt.Sprintf("the service at %s did not speak TLS: %s\n  if it runs with --insecure-plaintext, pass --insecure", addr, msg)
	case !insecure && closed && strings.Contains(msg, "handshake"):
		// A plaintext gRPC service answers a TLS hello (the case above);
		// one that hangs up mid-handshake is going away or is no gRPC
		// service at all.
		return fmt.Sprintf("the service at %s closed the connection during the TLS handshake: %s\n  is it running, and is --addr its gRPC port?", addr, msg)
	case containsAny(msg, "certificate", "tls:", "handshake"):
		return fmt.Sprintf("TLS with %s failed: %s\n  check --tls-ca (the CA that signed the service's certificate), --tls-cert/--tls-key (if the service requires client certificates), or --insecure (if the service runs plaintext)", addr, msg)
	case containsAny(msg, "connection refused", "no such host", "i/o timeout"):
		return fmt.Sprintf("cannot reach a service at %s: %s\n  is it running? check --addr or OPI_ADDR", addr, msg)
	case closed && insecure && !answered:
		// A TLS service hangs up on the HTTP/2 preface of a plaintext
		// client without a word, just as one that stops does.
		return fmt.Sprintf("the service at %s closed the connection before answering: %s\n  if it serves TLS (OPI services do unless started with --insecure-plaintext), drop --insecure and give --tls-ca; otherwise check that it is running", addr, msg)
	case closed:
		return fmt.Sprintf("the service at %s closed the connection: %s\n  it may have stopped or restarted: check that it is running, then retry", addr, msg)
	}
	return fmt.Sprintf("the service at %s is unavailable: %s", addr, msg)
}

// containsAny says whether s contains any of the words.
func containsAny(s string, words ...string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
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
