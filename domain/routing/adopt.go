package routing

// Adopt adds c, an entry restored from a snapshot after the board began
// serving, to the board. An entry the board holds already for that
// conversation (one the router looked up, or folded its own append into,
// while the snapshot was still loading) is merged with it stream by
// stream: the ticket is taken from whichever folded its ticket stream
// further, the conversation's facts from whichever folded its conversation
// stream further, as a fold applies each stream revision once.
func (b *Board) Adopt(c *Conv) {
	id := c.ConversationID
	if x := b.Convs[id]; x != nil {
		if x.Ticket.Version > c.Ticket.Version {
			c.Ticket = x.Ticket
		}
		if x.ConvVersion > c.ConvVersion {
			c.Started, c.Ended, c.StartedAt, c.EndedAt = x.Started, x.Ended, x.StartedAt, x.EndedAt
			c.CustomerName, c.CustomerWrote, c.ConvVersion = x.CustomerName, x.CustomerWrote, x.ConvVersion
			c.LastChatAt, c.LastActivityAt = x.LastChatAt, x.LastActivityAt
		}
	}
	b.Convs[id] = c
	if c.Started && !c.Ended {
		b.Open[id] = c
	} else {
		delete(b.Open, id)
	}
}
