// Package logging builds the structured logger every salesseg process uses:
// JSON lines on stderr, which CloudWatch Logs indexes field by field.
package logging

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// ErrUnknownLevel means a level name is none of those ParseLevel accepts.
var ErrUnknownLevel = errors.New("unknown log level (want debug, info, warn or error)")

// ParseLevel returns the level a name stands for: debug, info, warn (or
// warning) or error, in any case; "" means info, so an unset LOG_LEVEL is
// not an error. Any other name returns an error wrapping ErrUnknownLevel,
// so that a typo is reported instead of silently logging at info.
func ParseLevel(name string) (slog.Level, error) {
	switch strings.ToLower(name) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return slog.LevelInfo, fmt.Errorf("%w: %q", ErrUnknownLevel, name)
}

// New returns a JSON logger writing to w at level.
func New(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
