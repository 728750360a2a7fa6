package routing

import (
	"fmt"
	"strings"

	"github.com/parley-chat/parley/domain"
)

// Queues is the set of queues a deployment routes to: the named ones and
// the default queue, which takes every conversation whose subject names
// no queue.
type Queues struct {
	names   []string
	byLower map[string]string
	Default string
}

// NewQueues checks the queue names and returns the set. A name is 1 to 64
// letters, digits, '-', '_' or '.'; names differ case-insensitively.
func NewQueues(names []string, def string) (*Queues, error) {
	q := &Queues{byLower: map[string]string{}, Default: def}
	all := append(append([]string{}, names...), def)
	for i, n := range all {
		if err := checkName(n); err != nil {
			return nil, err
		}
		key := strings.ToLower(n)
		if prev, ok := q.byLower[key]; ok {
			if i == len(all)-1 {
				continue // the default queue may be named in the list too
			}
			return nil, fmt.Errorf("queue %q is named twice (as %q)", n, prev)
		}
		q.byLower[key] = n
		q.names = append(q.names, n)
	}
	return q, nil
}

func checkName(n string) error {
	if n == "" || len(n) > 64 {
		return fmt.Errorf("queue name %q must be 1 to 64 characters", n)
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("queue name %q may hold only letters, digits, '-', '_' and '.'", n)
		}
	}
	return nil
}

// Names returns every queue, the default one included, in the order named.
func (q *Queues) Names() []string { return append([]string{}, q.names...) }

// ForSubject returns the queue a conversation with subject waits in.
func (q *Queues) ForSubject(subject string) string {
	if n, ok := q.byLower[strings.ToLower(strings.TrimSpace(subject))]; ok {
		return n
	}
	return q.Default
}

// Lookup returns the queue named name (case-insensitively), or unknown_queue.
func (q *Queues) Lookup(name string) (string, error) {
	if n, ok := q.byLower[strings.ToLower(name)]; ok {
		return n, nil
	}
	return "", domain.FieldError(domain.CodeUnknownQueue, "queue", "queue %q does not exist; the queues are %s", name, strings.Join(q.names, ", "))
}

// Resolve returns the canonical names of queues; nil stays nil (every queue).
func (q *Queues) Resolve(queues []string) ([]string, error) {
	if queues == nil {
		return nil, nil
	}
	out := make([]string, 0, len(queues))
	for _, n := range queues {
		c, err := q.Lookup(n)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
