package personaldata

import "sync"

// recentSize is how many of the events this node sealed last keep their
// plain data: enough for every subscriber of the live feed to be handed
// what was just appended without opening it again (ADR 41).
const recentSize = 4096

// recent remembers the plain data of the events this node sealed last, by
// event id, in a ring: the live path hands it out instead of decrypting
// what it has just encrypted.
type recent struct {
	mu   sync.Mutex
	ring [recentSize]recentEntry
	next int
	byID map[string]int // event id -> index in ring
}

type recentEntry struct {
	eventID, keyID string
	data           []byte
}

func newRecent() *recent { return &recent{byID: make(map[string]int, recentSize)} }

func (r *recent) put(eventID, keyID string, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old := r.ring[r.next]; old.eventID != "" {
		delete(r.byID, old.eventID)
	}
	r.ring[r.next] = recentEntry{eventID: eventID, keyID: keyID, data: data}
	r.byID[eventID] = r.next
	r.next = (r.next + 1) % recentSize
}

// get returns the plain data of the event sealed with keyID, if kept.
func (r *recent) get(eventID, keyID string) ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, ok := r.byID[eventID]
	if !ok || r.ring[i].keyID != keyID {
		return nil, false
	}
	return r.ring[i].data, true
}

// forget drops every event sealed with keyID: its key was destroyed.
func (r *recent) forget(keyID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.ring {
		if e := r.ring[i]; e.keyID == keyID {
			delete(r.byID, e.eventID)
			r.ring[i] = recentEntry{}
		}
	}
}
