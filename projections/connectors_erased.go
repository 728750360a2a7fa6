package projections

import "github.com/parley-chat/parley/domain"

// erase forgets the number (refId) of an erased customer, so that neither
// this read model nor its next snapshot on disk holds it. Nothing more can
// be delivered to them: the conversation is taken as ended, and forgotten
// as soon as nothing is in flight.
func (x *Connectors) erase(stream string) {
	id, ok := domain.ConversationIDOf(stream)
	if !ok {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	en := x.convs[id]
	if en == nil {
		return
	}
	if x.active[en.channel+"\x00"+en.refID] == id {
		delete(x.active, en.channel+"\x00"+en.refID)
	}
	en.refID, en.ended = "", true
	en.lastVisible = min(en.lastVisible, en.acked)
	x.refresh(en)
}
