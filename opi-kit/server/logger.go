package server

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// NewLogger returns the JSON logger every bridge uses, writing to w (os.Stderr
// in production) at level (debug, info, warn or error; empty means info).
func NewLogger(w io.Writer, level string) (*slog.Logger, error) {
	l, err := parseLevel(level)
	if err != nil {
		return nil, err
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
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
