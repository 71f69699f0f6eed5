package cli

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/credo-dev/credo/internal/config"
)

// TestJSONLogDurationsInMilliseconds: a duration in a JSON log line is
// <key>_ms in milliseconds, not slog's nanoseconds.
func TestJSONLogDurationsInMilliseconds(t *testing.T) {
	var buf bytes.Buffer
	cfg := config.Default()
	cfg.LogFormat, cfg.LogLevel = "json", "debug"
	newLogger(cfg, &buf).Debug("snapshot patched", "took", 1500*time.Microsecond, "version", 3)
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m["took_ms"] != 1.5 || m["took"] != nil || m["version"] != 3.0 {
		t.Fatalf("log line %s", buf.Bytes())
	}
}
