// Package personaldata stores customers' personal data encrypted, each
// customer under a data key of their own, so that destroying the key erases
// the data from an immutable history (crypto-shredding, ADR 41). Store is a
// domain.EventStore decorator: it seals personal values on append and opens
// them on every read, where a destroyed key reads as domain.Erased.
package personaldata

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/parley-chat/parley/domain"
)

// Config wires a Store.
type Config struct {
	// Store is the store below: the ciphertext is what it keeps (and what a
	// hash chain below covers).
	Store domain.EventStore
	// Keys holds the customers' data keys.
	Keys domain.PersonalDataKeys
	// Secret keys the blind index of customers' identities (LoadSecret);
	// at least SecretSize bytes.
	Secret []byte
	// KeyCacheSize bounds the keys kept in memory; 0 for
	// DefaultKeyCacheSize.
	KeyCacheSize int
	// Source, when set, holds the keys of sealed history being copied in
	// (parley migrate): each key such an event names is imported into Keys,
	// which must then be a domain.PersonalDataKeyImporter, before the
	// event is stored. A key erased there stays missing here.
	Source domain.PersonalDataKeys
}

// Store seals personal data on its way into the store below and opens it on
// its way out.
type Store struct {
	inner  domain.EventStore
	source domain.PersonalDataKeys
	keys   *keyCache
	index  blindIndex
	recent *recent

	// subjects maps a conversation id to its customer. Every message a
	// command appends looks it up: a sync.Map reads without the shared
	// counter a read lock writes, which the command goroutines of two
	// cores kept taking from each other.
	subjects sync.Map
	// mu serialises remember, which keeps count within maxSubjects.
	mu    sync.Mutex
	count int
}

// subject is what sealing a conversation's messages needs: the customer's
// participant id and the id of their key.
type subject struct{ customer, keyID string }

// maxSubjects bounds the conversations whose customer is kept in memory; a
// conversation forgotten is looked up again in its first event.
const maxSubjects = 100000

var _ domain.EventStore = (*Store)(nil)

// New returns a Store over cfg.Store.
func New(cfg Config) (*Store, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("personal data: Store is required"))
	}
	if cfg.Keys == nil {
		errs = append(errs, errors.New("personal data: Keys is required"))
	}
	if len(cfg.Secret) < SecretSize {
		errs = append(errs, fmt.Errorf("personal data: the secret must be at least %d bytes", SecretSize))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if _, ok := cfg.Keys.(domain.PersonalDataKeyImporter); cfg.Source != nil && !ok {
		return nil, errors.New("personal data: copying sealed history needs a key store that imports keys")
	}
	return &Store{
		inner: cfg.Store, source: cfg.Source, keys: newKeyCache(cfg.Keys, cfg.KeyCacheSize), index: blindIndex{cfg.Secret},
		recent: newRecent(),
	}, nil
}

// Keys returns the key store, through the cache: destroying a key through
// it makes this node read the customer's data as erased at once.
func (s *Store) Keys() domain.PersonalDataKeys { return s.keys }

// Append implements domain.EventStore: personal values are sealed before
// the events reach the store below. Events whose metadata names a key
// already (a copy of sealed history) pass as they are.
func (s *Store) Append(ctx context.Context, stream string, expected domain.ExpectedRevision, events []domain.EventData) (domain.AppendResult, error) {
	conv, ok := domain.ConversationIDOf(stream)
	if !ok {
		return s.inner.Append(ctx, stream, expected, events)
	}
	sealed := slices.Clone(events)
	// started is the customer of a start earlier in this append: its
	// messages are sealed for them before the start is stored.
	var started *subject
	for i := range sealed {
		// Sealed in place, through a pointer: an event is a few hundred
		// bytes, and copies of it on every frame of this path made the
		// command goroutines' stacks grow (and be copied) on each message.
		e := &sealed[i]
		plain, err := s.seal(ctx, conv, e, started)
		if err != nil {
			return domain.AppendResult{}, err
		}
		if sub, ok := startSubject(e.Type, e.Metadata.KeyID, e.Data); ok {
			started = &sub
		}
		if plain != nil {
			// Kept before the append: subscribers may be handed the event
			// before Append returns. An append that fails leaves an entry
			// no stored event has (or, for a retry, the same plain data).
			s.recent.put(e.ID, e.Metadata.KeyID, plain)
		}
	}
	res, err := s.inner.Append(ctx, stream, expected, sealed)
	if err != nil {
		return res, err
	}
	if started != nil {
		// Only now: of two starts racing for one conversation, the one
		// stored names the customer.
		s.remember(conv, *started)
	}
	for _, e := range sealed {
		if e.Type == domain.EventPersonalDataErased {
			s.erased(e.Data)
		}
	}
	return res, nil
}

// seal seals the personal values of e in place and returns, when it sealed
// any, the plain data as readers will see it.
func (s *Store) seal(ctx context.Context, conv string, e *domain.EventData, started *subject) ([]byte, error) {
	if e.Metadata.KeyID != "" {
		return nil, s.adopt(ctx, e.Metadata.KeyID)
	}
	var plain []byte
	var err error
	switch e.Type {
	case domain.EventConversationStarted:
		plain, err = s.sealStart(ctx, e)
	case domain.EventChatMessage, domain.EventActivityMessage:
		plain, err = s.sealMessage(ctx, conv, e, started)
	}
	if plain != nil && e.Metadata.SchemaVersion != 0 {
		// Older history copied in (parley migrate) has the shape of the
		// version that allows sealed values: only that version says so.
		e.Metadata.SchemaVersion = domain.SchemaVersions[e.Type]
	}
	return plain, err
}

// adopt imports the key of sealed history being copied in from the source's
// key store, unless this store knows the key already (or it is erased or
// unknown there).
func (s *Store) adopt(ctx context.Context, keyID string) error {
	if s.source == nil {
		return nil
	}
	if k, ok := s.keys.cached(keyID); ok && !k.erased {
		return nil
	}
	if _, _, err := s.keys.keys.Get(ctx, keyID); domain.ErrorCode(err) != domain.CodeCustomerNotFound {
		return err // known here, live or erased
	}
	key, erased, err := s.source.Get(ctx, keyID)
	if domain.ErrorCode(err) == domain.CodeCustomerNotFound || erased {
		return nil
	}
	if err != nil {
		return err
	}
	return s.keys.keys.(domain.PersonalDataKeyImporter).Import(ctx, keyID, key)
}

// ReadStream implements domain.EventStore.
func (s *Store) ReadStream(ctx context.Context, stream string, from domain.Revision, max int) ([]domain.RecordedEvent, error) {
	recs, err := s.inner.ReadStream(ctx, stream, from, max)
	if err != nil {
		return nil, err
	}
	return s.openAll(ctx, recs)
}

// ReadAll implements domain.EventStore.
func (s *Store) ReadAll(ctx context.Context, after domain.After, max int) ([]domain.RecordedEvent, error) {
	recs, err := s.inner.ReadAll(ctx, after, max)
	if err != nil {
		return nil, err
	}
	return s.openAll(ctx, recs)
}

// SubscribeToStream implements domain.EventStore.
func (s *Store) SubscribeToStream(ctx context.Context, stream string, from domain.Revision, h domain.Handler, opts domain.SubscribeOptions) error {
	return s.inner.SubscribeToStream(ctx, stream, from, s.handler(h), opts)
}

// SubscribeToAll implements domain.EventStore.
func (s *Store) SubscribeToAll(ctx context.Context, after domain.After, filter domain.Filter, h domain.Handler, opts domain.SubscribeOptions) error {
	return s.inner.SubscribeToAll(ctx, after, filter, s.handler(h), opts)
}

// Ping implements domain.EventStore.
func (s *Store) Ping(ctx context.Context) error { return s.inner.Ping(ctx) }

// Close implements domain.EventStore; it closes the key store too.
func (s *Store) Close() error { return errors.Join(s.inner.Close(), s.keys.Close()) }

func (s *Store) handler(h domain.Handler) domain.Handler {
	return func(ctx context.Context, rec domain.RecordedEvent) error {
		rec, err := s.open(ctx, rec)
		if err != nil {
			return err
		}
		return h(ctx, rec)
	}
}

func (s *Store) openAll(ctx context.Context, recs []domain.RecordedEvent) ([]domain.RecordedEvent, error) {
	for i := range recs {
		rec, err := s.open(ctx, recs[i])
		if err != nil {
			return nil, err
		}
		recs[i] = rec
	}
	return recs, nil
}

func (s *Store) subjectOf(conv string) (subject, bool) {
	v, ok := s.subjects.Load(conv)
	if !ok {
		return subject{}, false
	}
	return v.(subject), true
}

func (s *Store) remember(conv string, sub subject) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, known := s.subjects.Load(conv); !known {
		if s.count >= maxSubjects {
			s.subjects.Range(func(k, _ any) bool {
				s.subjects.Delete(k) // any one: a forgotten subject is read again
				return false
			})
			s.count--
		}
		s.count++
	}
	s.subjects.Store(conv, sub)
}

// Below returns the store below, which holds the sealed values.
func (s *Store) Below() domain.EventStore { return s.inner }
