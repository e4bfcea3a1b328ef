package server

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/opi-suite/opi/opi-kit/telemetry"
)

// NewLogger returns the JSON logger every bridge uses, writing to w (os.Stderr
// in production) at level (debug, info, warn or error; empty means info).
// A line logged with a context inside a traced call carries the call's
// trace_id and span_id.
func NewLogger(w io.Writer, level string) (*slog.Logger, error) {
	l, err := parseLevel(level)
	if err != nil {
		return nil, err
	}
	return slog.New(telemetry.LogHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))), nil
}

func parseLevel(level string) (slog.Level, error) {
	switch strings.ToLower(level) {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("--log-level (OPI_LOG_LEVEL) %q is not a level: use debug, info, warn or error", level)
}
