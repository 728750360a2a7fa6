package diskstore

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/parley-chat/parley/domain"
)

// validateAppend rejects input the log cannot hold or that would break the
// port's idempotency rules (which compare event ids).
func validateAppend(stream string, events []domain.EventData) error {
	if stream == "" {
		return domain.FieldError(domain.CodeInvalid, "stream", "stream name is empty")
	}
	if len(events) == 0 {
		return domain.FieldError(domain.CodeInvalid, "events", "no events to append")
	}
	for i, e := range events {
		if e.Type == "" {
			return domain.FieldError(domain.CodeInvalid, fmt.Sprintf("events[%d].type", i), "event type is empty")
		}
		if _, ok := parseUUID(e.ID); !ok {
			return domain.FieldError(domain.CodeInvalid, fmt.Sprintf("events[%d].id", i),
				"event id %q is not a UUID in canonical text form", e.ID)
		}
		// The log keeps times as Unix nanoseconds, which span 1678 to 2262.
		if !e.Recorded.IsZero() && !time.Unix(0, e.Recorded.UnixNano()).Equal(e.Recorded) {
			return domain.FieldError(domain.CodeInvalid, fmt.Sprintf("events[%d].recorded", i),
				"recorded time %s is outside the years 1678 to 2262", e.Recorded)
		}
	}
	return nil
}

func validateMax(limit int) error {
	if limit < 1 {
		return domain.FieldError(domain.CodeInvalid, "max", "max must be at least 1, got %d", limit)
	}
	return nil
}

// parseUUID accepts the canonical 8-4-4-4-12 hex form in either case. Ids
// are stored as 16 bytes, so they read back in lower case and compare
// without regard to case, as EventStoreDB's Guids do.
func parseUUID(s string) ([16]byte, bool) {
	var id [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id, false
	}
	var digits [32]byte
	n := 0
	for i := 0; i < len(s); i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		digits[n] = s[i]
		n++
	}
	if _, err := hex.Decode(id[:], digits[:]); err != nil {
		return id, false
	}
	return id, true
}
