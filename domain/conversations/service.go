// Package conversations is the application service of conversations: it
// loads a conversation's state (from a cache or the store), decides a command
// with the domain's deciders, and appends the events with the loaded revision
// as the expected one, retrying when another node appended first. It holds
// the locks, the cache and the retries; the rules are the domain's.
package conversations

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas/storedjson"
)

// Config wires a Service to the outside world.
type Config struct {
	Store domain.EventStore
	// Now and NewID are the clock and the id generator (UUIDs).
	Now   func() time.Time
	NewID func() string
	// Limits bound messages; zero fields take domain.DefaultLimits.
	Limits domain.Limits
	// CacheSize is how many conversations' states are kept in memory.
	CacheSize int
	// Greeting writes greetings (domain.Env.Greeting); nil greets in English.
	Greeting func(language, name string) string
}

// Service runs commands: it loads a conversation's state, decides, and
// appends the resulting events with the loaded revision as the expected one.
// Commands on one conversation are serialised within a process; across
// processes, optimistic concurrency and a reload-and-retry loop keep them
// consistent.
type Service struct {
	store  domain.EventStore
	now    func() time.Time
	newID  func() string
	limits domain.Limits
	// greeting writes greetings; nil greets in English.
	greeting func(language, name string) string
	cache    *stateCache
	locks    [lockStripes]sync.Mutex
	// channels serialises messages of one customer on one channel.
	channels channelLocks
}

// New returns a Service, or an error naming what the config lacks.
func New(cfg Config) (*Service, error) {
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
	if cfg.Limits.MaxTextLength > domain.MaxTextLengthCap {
		errs = append(errs, fmt.Errorf("service: the text limit %d is above the most events may hold, %d", cfg.Limits.MaxTextLength, domain.MaxTextLengthCap))
	}
	if cfg.Limits.MaxAttachments > domain.MaxAttachmentsCap {
		errs = append(errs, fmt.Errorf("service: the attachments limit %d is above the most events may hold, %d", cfg.Limits.MaxAttachments, domain.MaxAttachmentsCap))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Limits.MaxTextLength <= 0 {
		cfg.Limits.MaxTextLength = domain.DefaultLimits.MaxTextLength
	}
	if cfg.Limits.MaxAttachments <= 0 {
		cfg.Limits.MaxAttachments = domain.DefaultLimits.MaxAttachments
	}
	if cfg.Limits.MaxParticipants <= 0 {
		cfg.Limits.MaxParticipants = domain.DefaultLimits.MaxParticipants
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 10000
	}
	return &Service{store: cfg.Store, now: cfg.Now, newID: cfg.NewID, limits: cfg.Limits, greeting: cfg.Greeting, cache: newStateCache(cfg.CacheSize)}, nil
}

// Limits returns the message limits in force.
func (s *Service) Limits() domain.Limits { return s.limits }

// Stored is an event as a command stored it.
type Stored struct {
	Event    domain.Event
	Revision domain.Revision
	Position domain.Position
	// Data is the event's stored JSON when this command stored it (nil for
	// a duplicate), so that an answer can be written from the stored bytes
	// rather than by encoding the event again.
	Data []byte
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
func (s *Service) Start(ctx context.Context, cmd domain.StartConversation, meta domain.Metadata) (domain.ConversationStarted, error) {
	if cmd.ConversationID == "" {
		if id, ok := cmd.RequestedConversationID(); ok {
			cmd.ConversationID = id
		} else {
			cmd.ConversationID = s.newID()
		}
	}
	if cmd.CustomerID == "" {
		cmd.CustomerID = s.newID()
	}
	res, err := s.Execute(ctx, cmd.ConversationID, cmd, meta)
	var again *domain.AlreadyStartedError
	if errors.As(err, &again) {
		return again.Started, nil
	}
	if err != nil {
		return domain.ConversationStarted{}, err
	}
	return res.Events[0].Event.(domain.ConversationStarted), nil
}

// Execute decides cmd against conversation id and stores the events.
func (s *Service) Execute(ctx context.Context, id string, cmd domain.Command, meta domain.Metadata) (Result, error) {
	mu := &s.locks[lockIndex(id)]
	mu.Lock()
	defer mu.Unlock()

	c, err := s.load(ctx, id)
	if err != nil {
		return Result{}, err
	}
	refreshed := false
	for attempt := 1; ; attempt++ {
		events, err := domain.Decide(c, cmd, s.env())
		if err != nil && !refreshed {
			// Another node may have changed the conversation since it was
			// cached (a join there, say): decide again on fresh state.
			refreshed = true
			if changed, rerr := s.catchUp(ctx, c); rerr != nil {
				return Result{}, rerr
			} else if changed {
				events, err = domain.Decide(c, cmd, s.env())
			}
		}
		var dup *domain.DuplicateMessageError
		if errors.As(err, &dup) {
			return s.stored(ctx, id, dup.Sequence)
		}
		if err != nil || len(events) == 0 {
			return Result{}, err
		}
		res, err := s.append(ctx, c, events, meta)
		var wev *domain.WrongExpectedVersionError
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
			return Result{}, &domain.Error{Code: domain.CodeConflict, Message: "conversation " + id + " is changing too fast; retry", Err: err}
		}
		if err != nil {
			s.cache.remove(id) // the append may have happened; reload next time
			return Result{}, err
		}
		return res, nil
	}
}

func (s *Service) env() domain.Env {
	return domain.Env{Now: s.now(), NewID: s.newID, Limits: s.limits, Greeting: s.greeting}
}

// append stores events after c's last revision and folds them into c.
func (s *Service) append(ctx context.Context, c *domain.Conversation, events []domain.Event, meta domain.Metadata) (Result, error) {
	// Encoding and applying are calls of their own, so that their locals
	// (an event and a message are a few hundred bytes each) are not on the
	// stack while the stores below run: every command goes through here,
	// and a deeper stack is one that grows and is copied.
	data, err := s.encode(events, &meta)
	if err != nil {
		return Result{}, err
	}
	expected := domain.NoStream()
	if c.Version >= 0 {
		expected = domain.Exact(domain.Revision(c.Version))
	}
	res, err := s.store.Append(ctx, domain.StreamName(c.ID), expected, data)
	if err != nil {
		return Result{}, err
	}
	return s.applyStored(c, events, data, res), nil
}

// encode gives the events' stored form, each under a fresh id but a
// message, whose id is its event's.
func (s *Service) encode(events []domain.Event, meta *domain.Metadata) ([]domain.EventData, error) {
	data := make([]domain.EventData, len(events))
	for i, e := range events {
		id := ""
		if m, ok := e.(domain.Message); ok {
			id = m.ID
		} else {
			id = s.newID()
		}
		d, err := storedjson.EncodeEvent(id, e, *meta)
		if err != nil {
			return nil, err
		}
		data[i] = d
	}
	return data, nil
}

// applyStored folds the events just stored into c, caches it, and gives
// the result of the command.
func (s *Service) applyStored(c *domain.Conversation, events []domain.Event, data []domain.EventData, res domain.AppendResult) Result {
	out := Result{Events: make([]Stored, len(events))}
	first := res.NextRevision + 1 - domain.Revision(len(events))
	for i, e := range events {
		rev := first + domain.Revision(i)
		if m, ok := e.(domain.Message); ok {
			e = m.WithSequence(rev)
		}
		c.Apply(rev, e)
		out.Events[i] = Stored{Event: e, Revision: rev, Data: data[i].Data}
	}
	out.Events[len(events)-1].Position = res.Position
	s.cache.put(c)
	return out
}

// load returns the conversation's state from the cache or the store. A
// conversation with no events yields a fresh state, which is not cached.
func (s *Service) load(ctx context.Context, id string) (*domain.Conversation, error) {
	if c := s.cache.get(id); c != nil {
		return c, nil
	}
	c := domain.NewConversation(id)
	if _, err := s.catchUp(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// catchUp folds into c every event stored after c.Version, and reports
// whether there were any.
func (s *Service) catchUp(ctx context.Context, c *domain.Conversation) (bool, error) {
	const page = 1000
	changed := false
	for {
		recs, err := s.store.ReadStream(ctx, domain.StreamName(c.ID), domain.Revision(c.Version+1), page)
		if errors.Is(err, domain.ErrStreamNotFound) {
			return changed, nil
		}
		if err != nil {
			return changed, fmt.Errorf("load conversation %s: %w", c.ID, err)
		}
		for _, rec := range recs {
			e, err := storedjson.DecodeEvent(rec)
			if err != nil {
				s.cache.remove(c.ID)
				return changed, err
			}
			c.Apply(rec.Revision, e)
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
func (s *Service) stored(ctx context.Context, id string, seq domain.Revision) (Result, error) {
	recs, err := s.store.ReadStream(ctx, domain.StreamName(id), seq, 1)
	if err != nil {
		return Result{}, fmt.Errorf("read stored message: %w", err)
	}
	if len(recs) == 0 {
		return Result{}, fmt.Errorf("read stored message: sequence %d of conversation %s is missing", seq, id)
	}
	e, err := storedjson.DecodeEvent(recs[0])
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
