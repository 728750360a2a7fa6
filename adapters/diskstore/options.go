package diskstore

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults for the zero values of Options.
const (
	// DefaultCacheBytes is Options.CacheBytes: about half a second of chat
	// messages at 15,000 a second (each counted with its append's buffer),
	// ahead of live subscribers, which read within milliseconds; one
	// further behind reads from the log (ADR 43).
	DefaultCacheBytes     = 8 << 20
	DefaultMaxGroupBytes  = 4 << 20  // Options.MaxGroupBytes
	DefaultMaxAppendBytes = 16 << 20 // Options.MaxAppendBytes, as EventStoreDB's default
	// DefaultIndexCheckpointBytes is Options.IndexCheckpointBytes: scanning
	// that much of a log at open takes about a quarter of a second.
	DefaultIndexCheckpointBytes = 128 << 20
)

// maxFrameBytes caps the length field of a record so that a garbage length
// read from a torn tail can never make recovery allocate gigabytes.
const maxFrameBytes = 64 << 20

// Options tunes a Store. The zero value is ready to use.
type Options struct {
	// Logger receives recovery and failure reports; nil means slog.Default().
	Logger *slog.Logger

	// CacheBytes bounds the memory held by the cache of recently committed
	// events that live subscribers read from.
	CacheBytes int

	// MaxGroupBytes is the size past which the writer stops adding appends to
	// one group commit. It also bounds, with MaxAppendBytes, how much of the
	// log's tail recovery may treat as a torn write rather than corruption, so
	// do not lower it while a log written with a larger value may be torn.
	MaxGroupBytes int

	// MaxAppendBytes is the largest encoded size of one Append; larger
	// appends fail with domain.CodeTooLarge.
	MaxAppendBytes int

	// IndexCheckpointBytes is how much the log grows between checkpoints of
	// the index (IndexFile), and the smallest log that gets one: Open then
	// scans only the log after the last checkpoint. 0 means
	// DefaultIndexCheckpointBytes; negative, never.
	IndexCheckpointBytes int64

	// Now stamps committed events; nil means time.Now.
	Now func() time.Time
}

// Validate reports every problem with o at once.
func (o Options) Validate() error {
	var errs []error
	if o.CacheBytes < 0 {
		errs = append(errs, fmt.Errorf("CacheBytes must not be negative, got %d", o.CacheBytes))
	}
	if o.MaxGroupBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxGroupBytes must not be negative, got %d", o.MaxGroupBytes))
	}
	if o.MaxAppendBytes < 0 || o.MaxAppendBytes > maxFrameBytes-frameOverhead {
		errs = append(errs, fmt.Errorf("MaxAppendBytes must be between 0 and %d, got %d",
			maxFrameBytes-frameOverhead, o.MaxAppendBytes))
	}
	return errors.Join(errs...)
}

func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.CacheBytes == 0 {
		o.CacheBytes = DefaultCacheBytes
	}
	if o.MaxGroupBytes == 0 {
		o.MaxGroupBytes = DefaultMaxGroupBytes
	}
	if o.MaxAppendBytes == 0 {
		o.MaxAppendBytes = DefaultMaxAppendBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.IndexCheckpointBytes == 0 {
		o.IndexCheckpointBytes = DefaultIndexCheckpointBytes
	}
}

// tornWindow is how many bytes at the end of the log one unsynced group
// commit can span: the writer stops adding appends once a group reaches
// MaxGroupBytes, and the last one added is at most MaxAppendBytes.
func (o Options) tornWindow() int64 {
	return int64(o.MaxGroupBytes) + int64(o.MaxAppendBytes) + frameOverhead
}
