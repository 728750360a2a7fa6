package routing

import (
	"slices"
	"strings"
	"time"
)

// Candidate is an agent as the assignment policy sees it.
type Candidate struct {
	ID        string
	Active    int // conversations it holds
	Free      int // units of capacity left
	IdleSince time.Time
}

// Rank orders the eligible candidates for a conversation, best first:
// fewest active conversations, then longest idle, then id (so that every
// node ranks alike). Candidates without free capacity are dropped. The
// agent who handed the conversation off (handedOffBy) goes last, so a
// queue transfer returns to them only when nobody else can take it.
func Rank(cands []Candidate, handedOffBy string) []Candidate {
	out := make([]Candidate, 0, len(cands))
	for _, c := range cands {
		if c.Free > 0 {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		if (a.ID == handedOffBy) != (b.ID == handedOffBy) {
			if a.ID == handedOffBy {
				return 1
			}
			return -1
		}
		if a.Active != b.Active {
			return a.Active - b.Active
		}
		if c := a.IdleSince.Compare(b.IdleSince); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}
