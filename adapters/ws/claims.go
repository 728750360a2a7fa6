package ws

import (
	"context"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

// claimDelivery claims message msgID (sequence seq of the claim's
// conversation) through the store before it is sent, when several nodes may
// be connected to the same connector (Config.ClaimTimeout). It reports
// whether this node may send it. When another node holds the claim, the
// conversation stays in flight here, as if sent by no connection, until the
// claim lapses: the other node's MessageDelivered, arriving through the
// feed, ends it sooner; a node that died holding it delays the message by
// at most ClaimTimeout.
func (h *Hub) claimDelivery(ctx context.Context, cl projections.Claim, seq int64, msgID string) bool {
	if h.cfg.ClaimTimeout <= 0 {
		return true
	}
	ok, until, err := h.svc.Claim(ctx, domain.ClaimStream("delivery", msgID), h.cfg.Node, h.cfg.ClaimTimeout)
	if err != nil {
		h.logger.Error("claim a delivery", "conversation", cl.Conversation, "err", err)
		h.connectors.Skip(cl.Conversation, cl.After) // released, tried again
		return false
	}
	if !ok {
		// Release frees what has been in flight for AckTimeout: dating it
		// AckTimeout before the claim's end frees it when the claim lapses.
		h.connectors.Sent(cl.Conversation, seq, "claimed-elsewhere:"+msgID, "claimed-elsewhere", until.Add(-h.cfg.AckTimeout))
		return false
	}
	return true
}
