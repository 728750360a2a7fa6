package domain

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ServiceConfig wires a Service to the outside world.
type ServiceConfig struct {
	Store EventStore
	// Now and NewID are the clock and the id generator (UUIDs).
	Now   func() time.Time
	NewID func() string
	// Limits bound messages; zero fields take DefaultLimits.
	Limits Limits
	// CacheSize is how many conversations' states are kept in memory.
	CacheSize int
	// Greeting writes greetings (Env.Greeting); nil greets in English.
	Greeting func(language, name string) string
}

// Service runs commands: it loads a conversation's state, decides, and
// appends the resulting events with the loaded revision as the expected one.
// Commands on one conversation are serialised within a process; across
// processes, optimistic concurrency and a reload-and-retry loop keep them
// consistent.
type Service struct {
	store  EventStore
	now    func() time.Time
	newID  func() string
	limits Limits
	// greeting writes greetings; nil greets in English.
	greeting func(language, name string) string
	cache    *stateCache
	locks    [lockStripes]sync.Mutex
	// channels serialises messages of one customer on one channel.
	channels channelLocks
}

// NewService returns a Service, or an error naming what the config lacks.
func NewService(cfg ServiceConfig) (*Service, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("service: Store is required"))
	}
	if cfg.Now == nil {
		errs = append(errs, errors.New("service: Now is required"))
	}
	if cfg.NewID == nil {
		errs = append(errs, errors.New("service: NewID is required"))
	}
	// The event schemas cap these as a last line of defence; a limit above
	// the cap would turn a clear invalid_message into a schema violation.
	if cfg.Limits.MaxTextLength > MaxTextLengthCap {
		errs = append(errs, fmt.Errorf("service: the text limit %d is above the most events may hold, %d", cfg.Limits.MaxTextLength, MaxTextLengthCap))
	}
	if cfg.Limits.MaxAttachments > MaxAttachmentsCap {
		errs = append(errs, fmt.Errorf("service: the attachments limit %d is above the most events may hold, %d", cfg.Limits.MaxAttachments, MaxAttachmentsCap))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Limits.MaxTextLength <= 0 {
		cfg.Limits.MaxTextLength = DefaultLimits.MaxTextLength
	}
	if cfg.Limits.MaxAttachments <= 0 {
		cfg.Limits.MaxAttachments = DefaultLimits.MaxAttachments
	}
	if cfg.Limits.MaxParticipants <= 0 {
		cfg.Limits.MaxParticipants = DefaultLimits.MaxParticipants
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 10000
	}
	return &Service{store: cfg.Store, now: cfg.Now, newID: cfg.NewID, limits: cfg.Limits, greeting: cfg.Greeting, cache: newStateCache(cfg.CacheSize)}, nil
}

// Limits returns the message limits in force.
func (s *Service) Limits() Limits { return s.limits }

// Stored is an event as a command stored it.
type Stored struct {
	Event    Event
	Revision Revision
	Position Position
}

// Result is what a command stored. Duplicate is true when the command was a
// resend of a message stored earlier: Events then holds that message, and
// nothing new was stored.
type Result struct {
	Events    []Stored
	Duplicate bool
}

// Start opens a new conversation; cmd.ConversationID and cmd.CustomerID are
// filled in when empty. A request with a RequestID is idempotent: the same
// request id from the same customer on the same channel always yields the
// same conversation, started once.
func (s *Service) Start(ctx context.Context, cmd StartConversation, meta Metadata) (ConversationStarted, error) {
	if cmd.ConversationID == "" {
		if cmd.RequestID != "" && cmd.Personal.identity() != "" {
			cmd.ConversationID = NameUUID("init\x00" + cmd.Channel + "\x00" + cmd.Personal.identity() + "\x00" + cmd.RequestID)
		} else {
			cmd.ConversationID = s.newID()
		}
	}
	if cmd.CustomerID == "" {
		cmd.CustomerID = s.newID()
	}
	res, err := s.Execute(ctx, cmd.ConversationID, cmd, meta)
	var again *AlreadyStartedError
	if errors.As(err, &again) {
		return again.Started, nil
	}
	if err != nil {
		return ConversationStarted{}, err
	}
	return res.Events[0].Event.(ConversationStarted), nil
}

// Execute decides cmd against conversation id and stores the events.
func (s *Service) Execute(ctx context.Context, id string, cmd Command, meta Metadata) (Result, error) {
	mu := &s.locks[lockIndex(id)]
	mu.Lock()
	defer mu.Unlock()

	c, err := s.load(ctx, id)
	if err != nil {
		return Result{}, err
	}
	refreshed := false
	for attempt := 1; ; attempt++ {
		events, err := Decide(c, cmd, s.env())
		if err != nil && !refreshed {
			// Another node may have changed the conversation since it was
			// cached (a join there, say): decide again on fresh state.
			refreshed = true
			if changed, rerr := s.catchUp(ctx, c); rerr != nil {
				return Result{}, rerr
			} else if changed {
				events, err = Decide(c, cmd, s.env())
			}
		}
		var dup *DuplicateMessageError
		if errors.As(err, &dup) {
			return s.stored(ctx, id, dup.Sequence)
		}
		if err != nil || len(events) == 0 {
			return Result{}, err
		}
		res, err := s.append(ctx, c, events, meta)
		var wev *WrongExpectedVersionError
		if errors.As(err, &wev) && attempt < maxAppendAttempts {
			if err := sleep(ctx, retryDelay(attempt)); err != nil {
				return Result{}, err
			}
			if _, err := s.catchUp(ctx, c); err != nil {
				return Result{}, err
			}
			refreshed = true
			continue
		}
		if errors.As(err, &wev) {
			return Result{}, &Error{Code: CodeConflict, Message: "conversation " + id + " is changing too fast; retry", Err: err}
		}
		if err != nil {
			s.cache.remove(id) // the append may have happened; reload next time
			return Result{}, err
		}
		return res, nil
	}
}

func (s *Service) env() Env {
	return Env{Now: s.now(), NewID: s.newID, Limits: s.limits, Greeting: s.greeting}
}

// append stores events after c's last revision and folds them into c.
func (s *Service) append(ctx context.Context, c *Conversation, events []Event, meta Metadata) (Result, error) {
	data := make([]EventData, len(events))
	for i, e := range events {
		id := s.newID()
		if m, ok := e.(Message); ok {
			id = m.ID // a message's id is its event's id
		}
		d, err := EncodeEvent(id, e, meta)
		if err != nil {
			return Result{}, err
		}
		data[i] = d
	}
	expected := NoStream()
	if c.Version >= 0 {
		expected = Exact(Revision(c.Version))
	}
	res, err := s.store.Append(ctx, StreamName(c.ID), expected, data)
	if err != nil {
		return Result{}, err
	}
	out := Result{Events: make([]Stored, len(events))}
	first := res.NextRevision + 1 - Revision(len(events))
	for i, e := range events {
		rev := first + Revision(i)
		if m, ok := e.(Message); ok {
			e = m.WithSequence(rev)
		}
		c.Apply(rev, e)
		out.Events[i] = Stored{Event: e, Revision: rev}
	}
	out.Events[len(events)-1].Position = res.Position
	s.cache.put(c)
	return out, nil
}

// load returns the conversation's state from the cache or the store. A
// conversation with no events yields a fresh state, which is not cached.
func (s *Service) load(ctx context.Context, id string) (*Conversation, error) {
	if c := s.cache.get(id); c != nil {
		return c, nil
	}
	c := NewConversation(id)
	if _, err := s.catchUp(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// catchUp folds into c every event stored after c.Version, and reports
// whether there were any.
func (s *Service) catchUp(ctx context.Context, c *Conversation) (bool, error) {
	const page = 1000
	changed := false
	for {
		recs, err := s.store.ReadStream(ctx, StreamName(c.ID), Revision(c.Version+1), page)
		if errors.Is(err, ErrStreamNotFound) {
			return changed, nil
		}
		if err != nil {
			return changed, fmt.Errorf("load conversation %s: %w", c.ID, err)
		}
		for _, rec := range recs {
			if err := c.ApplyRecorded(rec); err != nil {
				s.cache.remove(c.ID)
				return changed, err
			}
			changed = true
		}
		if len(recs) < page {
			if changed && c.Started {
				s.cache.put(c)
			}
			return changed, nil
		}
	}
}

// stored returns the message stored at seq, as a duplicate result.
func (s *Service) stored(ctx context.Context, id string, seq Revision) (Result, error) {
	recs, err := s.store.ReadStream(ctx, StreamName(id), seq, 1)
	if err != nil {
		return Result{}, fmt.Errorf("read stored message: %w", err)
	}
	if len(recs) == 0 {
		return Result{}, fmt.Errorf("read stored message: sequence %d of conversation %s is missing", seq, id)
	}
	e, err := DecodeEvent(recs[0])
	if err != nil {
		return Result{}, err
	}
	return Result{Events: []Stored{{Event: e, Revision: seq, Position: recs[0].Position}}, Duplicate: true}, nil
}

// lockStripes is how many locks the conversations share. A command holds
// its conversation's lock until its events are durable, so conversations
// that share a lock wait for each other's fsyncs: with 256, the 1,000
// conversations of the chat benchmark were four to a lock.
const lockStripes = 4096

// lockIndex picks id's lock by its FNV-1a hash.
func lockIndex(id string) int {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h = (h ^ uint32(id[i])) * 16777619
	}
	return int(h % lockStripes)
}

// Now returns the service clock's time.
func (s *Service) Now() time.Time { return s.now() }
