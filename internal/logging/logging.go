// Package logging builds the structured logger every salesseg process uses:
// JSON lines on stderr, which CloudWatch Logs indexes field by field.
package logging

import (
	"io"
	"log/slog"
	"strings"
)

// New returns a JSON logger writing to w at the named level (debug, info,
// warn, error); an unknown or empty level means info.
func New(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "warn", "warning":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
