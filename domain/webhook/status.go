package webhook

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/parley-chat/parley/domain"
)

// Status is what an operator sees of one webhook (GET /api/webhooks).
type Status struct {
	Name     string       `json:"name"`
	Position domain.After `json:"position"`
	// LagEvents counts the conversation events after Position, up
	// to LagScanLimit; LagSeconds is the age of the first of them (0 when
	// the webhook is up to date).
	LagEvents     int     `json:"lagEvents"`
	LagSeconds    float64 `json:"lagSeconds"`
	Paused        bool    `json:"paused"`
	Owner         string  `json:"owner,omitempty"`
	Delivered     uint64  `json:"delivered"`
	LastSuccessAt string  `json:"lastSuccessAt,omitempty"`
	LastError     string  `json:"lastError,omitempty"`
	LastErrorAt   string  `json:"lastErrorAt,omitempty"`
	Attempts      int     `json:"attempts"`
}

// LagScanLimit bounds the events a status counts as lag.
const LagScanLimit = 10000

// From is where a replay starts: Start, after the event at a global
// Position (the position of the last event the receiver kept, as each
// delivery carries it), or with the first event recorded at or after Time.
type From struct {
	Start    bool
	Position domain.After
	Time     time.Time
}

// ParseFrom parses the from of a replay request: "start", a position (a
// JSON number or a string of digits) or an RFC 3339 time.
func ParseFrom(raw json.RawMessage) (From, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return From{}, domain.FieldError(domain.CodeInvalid, "from", `from is required: "start", a position or an RFC 3339 time`)
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return From{}, domain.FieldError(domain.CodeInvalid, "from", "from is not a JSON string")
		}
	}
	if s == "start" {
		return From{Start: true}, nil
	}
	if p, err := strconv.ParseUint(s, 10, 64); err == nil {
		return From{Position: domain.After(p)}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return From{Time: t}, nil
	}
	return From{}, domain.FieldError(domain.CodeInvalid, "from", `from must be "start", a position or an RFC 3339 time, not %s`, domain.Clip(s))
}

// CanView decides whether p may read the webhooks' status: staff may.
func CanView(p domain.Principal) error {
	switch {
	case p.Unchecked, p.IsStaff():
		return nil
	case p.Role == "":
		return domain.Errorf(domain.CodeUnauthenticated, "webhooks need an API key")
	}
	return domain.Errorf(domain.CodeForbidden, "only staff may see webhooks")
}

// CanControl decides whether p may pause, resume or replay a webhook:
// supervisors may.
func CanControl(p domain.Principal) error {
	switch {
	case p.Unchecked, p.Role == domain.RoleSupervisor:
		return nil
	case p.Role == "":
		return domain.Errorf(domain.CodeUnauthenticated, "webhooks need an API key")
	}
	return domain.Errorf(domain.CodeForbidden, "only supervisors may pause, resume or replay a webhook")
}
