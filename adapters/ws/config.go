package ws

import (
	"context"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

// Config tunes the websocket edge.
type Config struct {
	// OnCommand, when set, is called before each command frame is handled
	// (for traces and metrics); the context it returns is the command's,
	// and done is called with the command's error once it is handled.
	OnCommand func(ctx context.Context, event string) (_ context.Context, done func(error))
	// OnMessageWritten, when set, is told the time from a message's append
	// to the moment its messageArrived frame was written to a connection.
	OnMessageWritten func(time.Duration)
	// StoreTyping stores typing activities instead of only relaying them.
	StoreTyping bool
	// MaxFrameBytes bounds one incoming frame.
	MaxFrameBytes int64
	// OutboundBuffer is how many frames may wait for a slow client before it
	// is disconnected with CloseSlowReader.
	OutboundBuffer int
	// CommandTimeout bounds the handling of one frame.
	CommandTimeout time.Duration
	// Credentials checks the bearer credentials of connections and joins;
	// nil means domain.OpenAccess (authentication off).
	Credentials domain.Credentials
	// FramesPerSecond and FrameBurst are the token bucket of each
	// connection: frames beyond it are refused with rate_limited.
	FramesPerSecond float64
	FrameBurst      int
	// MaxSocketsPerConversation bounds the connections joined to one
	// conversation on this process.
	MaxSocketsPerConversation int
	// AckTimeout is how long a connector has to acknowledge a message
	// before it is sent again.
	AckTimeout time.Duration
	// ConnectorWindow is how many conversations may each have a message in
	// flight to one connector connection.
	ConnectorWindow int
	// ClaimTimeout, when positive, makes each delivery to a connector claimed
	// through the store for that long by Node before it is sent, so that of
	// several nodes connected to the same connector one sends it.
	ClaimTimeout time.Duration
	// Node names this process in its claims.
	Node string
	// AllowedOrigins lists the Origin values a browser may connect from;
	// "*" allows any. Requests without an Origin (non-browser clients) and
	// from the server's own host are always allowed.
	AllowedOrigins []string
	// MaxInfoMessages is the most messages one conversationInfo carries
	// (projections.DefaultPageSize when 0).
	MaxInfoMessages int
}

func (c *Config) setDefaults() {
	if c.MaxFrameBytes <= 0 {
		c.MaxFrameBytes = 64 << 10
	}
	if c.OutboundBuffer <= 0 {
		c.OutboundBuffer = 1024
	}
	if c.CommandTimeout <= 0 {
		c.CommandTimeout = 10 * time.Second
	}
	if c.Credentials == nil {
		c.Credentials = domain.OpenAccess{}
	}
	if c.FramesPerSecond <= 0 {
		c.FramesPerSecond = 50
	}
	if c.FrameBurst <= 0 {
		c.FrameBurst = 100
	}
	if c.MaxSocketsPerConversation <= 0 {
		c.MaxSocketsPerConversation = 64
	}
	if c.AckTimeout <= 0 {
		c.AckTimeout = 30 * time.Second
	}
	if c.ConnectorWindow <= 0 {
		c.ConnectorWindow = 100
	}
	if c.MaxInfoMessages <= 0 {
		c.MaxInfoMessages = projections.DefaultPageSize
	}
}
