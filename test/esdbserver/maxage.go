package esdbserver

import (
	"encoding/json"
	"time"
)

// maxAgeCutoff returns the ticks before which events of stream are too
// old to read, from the $maxAge (seconds) of the stream's metadata, the
// last event of "$$<stream>"; ok is false when no $maxAge is set. The real
// node applies it to stream reads and leaves the events in $all until a
// scavenge; so does this server, which never scavenges. d.mu is held.
func (d *db) maxAgeCutoff(stream string) (ticks int64, ok bool) {
	meta := d.streams["$$"+stream]
	if len(meta) == 0 {
		return 0, false
	}
	var m struct {
		MaxAge *int64 `json:"$maxAge"`
	}
	if err := json.Unmarshal(meta[len(meta)-1].data, &m); err != nil || m.MaxAge == nil {
		return 0, false
	}
	return d.now().Add(-time.Duration(*m.MaxAge)*time.Second).UnixNano() / 100, true
}

// unexpired drops the events created before cutoff; they come first.
func unexpired(evs []*record, cutoff int64) []*record {
	for i, r := range evs {
		if r.created >= cutoff {
			return evs[i:]
		}
	}
	return nil
}
