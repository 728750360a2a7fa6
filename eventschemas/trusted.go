package eventschemas

import "github.com/parley-chat/parley/domain/routing"

// trustedOnRead are the event types whose reads at their latest schema
// version are not checked again (ADR 29): the routing events, which only
// Parley's router writes, through a checked append, and which the feed
// replays at every start. A routing event that does not parse still stops
// the feed, at its position, when the routing read model decodes it.
var trustedOnRead = func() map[string]bool {
	out := make(map[string]bool, len(routing.SchemaVersions))
	for t := range routing.SchemaVersions {
		out[t] = true
	}
	return out
}()
