package esdbserver

import (
	"fmt"
	"slices"
)

// The server versions WithServerVersion accepts, each standing for what a
// node of that version does differently in ways the Go client can observe.
const (
	// Version24_10_0 counts only the events' data towards the append limit:
	// its size sum has an operator-precedence slip that drops the rest.
	Version24_10_0 = "24.10.0"
	// Version24_10_4 counts data, metadata and twice the event type's
	// length (the type is counted as UTF-16), as the node always meant to.
	Version24_10_4 = "24.10.4"
	// Version25_0 counts as 24.10.4 does, and no longer sends the
	// checkpoint of 2^64-1 that 24.10 sends when a filtered catch-up from
	// the start sent nothing.
	Version25_0 = "25.0"
)

// Versions lists the server versions, oldest first.
var Versions = []string{Version24_10_0, Version24_10_4, Version25_0}

// WithServerVersion makes the server answer as a node of version v, one of
// Versions (Version24_10_0 unless set). Start fails for any other value.
func WithServerVersion(v string) Option { return func(c *config) { c.version = v } }

func checkVersion(v string) error {
	if !slices.Contains(Versions, v) {
		return fmt.Errorf("esdbserver: unknown server version %q; use one of %v", v, Versions)
	}
	return nil
}

// reportedVersion is what ServerFeatures says: major.minor.patch.
func (c config) reportedVersion() string {
	if c.version == Version25_0 {
		return "25.0.0"
	}
	return c.version
}

// AppendSize is how a node of version v counts one event towards its
// append limit: data only on 24.10.0, data, metadata and twice the type's
// length from 24.10.4 on.
func AppendSize(v string, typ string, metadata, data []byte) int {
	if v == Version24_10_0 {
		return len(data)
	}
	return len(data) + len(metadata) + 2*len(typ)
}

// sendsMaxCheckpoint tells whether a filtered catch-up from the start that
// sent nothing ends with a checkpoint at 2^64-1 (24.10) or none (25.0).
func (c config) sendsMaxCheckpoint() bool { return c.version != Version25_0 }
