package ws

import (
	"context"
	"encoding/json"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas/storedjson"
	"github.com/parley-chat/parley/projections"
)

// pageBacklog is the most frames that may wait to be written to a connection
// that asks for another page: a client that does not read cannot pile up
// page after page of long messages in the server's memory.
const pageBacklog = 4

// infoPage sends a member the page of messages after since, up to its join's
// sequence, as conversationInfo: the rest of what a join with since could not
// carry at once. Later messages reach it live, so the pages and the live
// messages together hold each message once.
func (h *Hub) infoPage(ctx context.Context, m *member, since int64, ack []byte) error {
	if n := m.client.pending.Load(); n > pageBacklog {
		return domain.Errorf(domain.CodeRateLimited, "%d frames wait to be written to this connection: read them, then ask for the page again", n)
	}
	pg, err := h.infos.Select(ctx, m.conv, projections.Query{Viewer: &m.who, Since: since, Before: m.joined + 1, Limit: h.cfg.MaxInfoMessages})
	if err != nil {
		return err
	}
	info, err := h.infoFrame(ctx, m, pg)
	if err != nil {
		return err
	}
	m.client.send(info)
	if len(ack) > 0 {
		m.client.send(encodeFrame(EventAck, ack, joinAck{ConversationID: m.conv, Participant: m.who, Sequence: m.joined}))
	}
	return nil
}

// infoFrame returns the conversationInfo frame of m with the page pg, its
// messages encoded as they are read from the store, so that the frame is the
// only copy of them the join holds.
func (h *Hub) infoFrame(ctx context.Context, m *member, pg *projections.Page) ([]byte, error) {
	head, err := json.Marshal(infoData{
		Conversation: pg.Conversation,
		Participant:  pg.Participants,
		Participants: pg.Participants,
		Role:         m.who.Role,
		Self:         m.who,
		More:         pg.More,
		Since:        pg.Since,
		Before:       pg.Before,
		LostInRepair: pg.LostInRepair,
	})
	if err != nil {
		return nil, err
	}
	b := append(make([]byte, 0, 512+len(head)), `{"event":"conversationInfo","data":`...)
	b = append(b, head[:len(head)-1]...) // without its closing brace
	b = append(b, `,"messages":[`...)
	n := 0
	err = projections.EachMessage(ctx, h.store, m.conv, pg.Sequences(), func(msg domain.Message) error {
		if n++; n > 1 {
			b = append(b, ',')
		}
		var err error
		b, err = storedjson.AppendMessage(b, &msg)
		return err
	})
	if err != nil {
		return nil, err
	}
	return closeFrame(append(b, "]}"...), nil), nil
}
