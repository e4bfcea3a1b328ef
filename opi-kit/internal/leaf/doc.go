// Package leaf holds no code: its test keeps the packages that clients
// import (names, redact) free of the server's dependencies, since a gRPC,
// Prometheus or bbolt import slipping into them would reach the CLI and
// every other client through them.
package leaf
