package esdb

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/parley-chat/parley/domain"
)

// keyStreamPrefix starts the stream of each customer's data key. It is a
// system stream ('$'), so reads and subscriptions of all streams, the
// events API and a migration never see a key.
const keyStreamPrefix = "$personaldata-key-"

// keyEventType is the type of the one event of a key stream.
const keyEventType = "PersonalDataKey"

// Keys is domain.PersonalDataKeys on EventStoreDB: each key is the one event
// of a stream of its own, and destroying it tombstones the stream. The
// node keeps the bytes of a tombstoned stream until its next scavenge
// (README, "Erasure").
type Keys struct{ s *Store }

var (
	_ domain.PersonalDataKeys        = (*Keys)(nil)
	_ domain.PersonalDataKeyImporter = (*Keys)(nil)
)

// Keys returns the store's key streams; they share its connection.
func (s *Store) Keys() *Keys { return &Keys{s} }

type keyData struct {
	Key string `json:"key"` // base64
}

// Create implements domain.PersonalDataKeys. Concurrent Creates race on the
// stream's first revision, and every loser reads the winner's key.
func (k *Keys) Create(ctx context.Context, id string) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return k.put(ctx, id, key)
}

// Import implements domain.PersonalDataKeyImporter.
func (k *Keys) Import(ctx context.Context, id string, key []byte) error {
	if len(key) != 32 {
		return domain.Errorf(domain.CodeInvalid, "a data key is 32 bytes, not %d", len(key))
	}
	got, err := k.put(ctx, id, key)
	if err == nil && !bytes.Equal(got, key) {
		return domain.Errorf(domain.CodeConflict, "customer %s has another key here", id)
	}
	return err
}

// put makes key the key of id unless id has one, and returns the key id
// has then.
func (k *Keys) put(ctx context.Context, id string, key []byte) ([]byte, error) {
	data, err := json.Marshal(keyData{Key: base64.StdEncoding.EncodeToString(key)})
	if err != nil {
		return nil, err
	}
	ev := esdb.EventData{EventID: uuid.New(), EventType: keyEventType, ContentType: esdb.ContentTypeJson, Data: data}
	_, err = call(ctx, k.s, func(ctx context.Context, c *esdb.Client) (*esdb.WriteResult, error) {
		return c.AppendToStream(ctx, keyStreamPrefix+id, esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, ev)
	})
	if code, ok := clientCode(err); ok && code == esdb.ErrorCodeWrongExpectedVersion {
		existing, erased, err := k.Get(ctx, id)
		if err == nil && erased {
			return nil, domain.ErrKeyErased(id)
		}
		return existing, err
	}
	if code, ok := clientCode(err); ok && code == esdb.ErrorCodeStreamDeleted {
		return nil, domain.ErrKeyErased(id)
	}
	if err != nil {
		return nil, mapError(ctx, "create key", err)
	}
	return key, nil
}

// Get implements domain.PersonalDataKeys.
func (k *Keys) Get(ctx context.Context, id string) ([]byte, bool, error) {
	raw, err := call(ctx, k.s, func(ctx context.Context, c *esdb.Client) ([]*esdb.ResolvedEvent, error) {
		rs, err := c.ReadStream(ctx, keyStreamPrefix+id, esdb.ReadStreamOptions{From: esdb.Start{}}, 1)
		if err != nil {
			return nil, err
		}
		return drain(rs)
	})
	if code, ok := clientCode(err); ok {
		switch code {
		case esdb.ErrorCodeStreamDeleted:
			return nil, true, nil
		case esdb.ErrorCodeResourceNotFound:
			return nil, false, domain.ErrNoKey(id)
		}
	}
	if err != nil {
		return nil, false, mapError(ctx, "read key", err)
	}
	if len(raw) == 0 || raw[0].Event == nil {
		return nil, false, domain.ErrNoKey(id)
	}
	var d keyData
	if err := json.Unmarshal(raw[0].Event.Data, &d); err != nil {
		return nil, false, err
	}
	key, err := base64.StdEncoding.DecodeString(d.Key)
	if err != nil || len(key) != 32 {
		return nil, false, errors.Join(errors.New("esdb: a key stream holds no 32-byte key"), err)
	}
	return key, false, nil
}

// Destroy implements domain.PersonalDataKeys: the key's stream is
// tombstoned, so it can never be written again.
func (k *Keys) Destroy(ctx context.Context, id string) error {
	if _, erased, err := k.Get(ctx, id); err != nil || erased {
		return err
	}
	_, err := call(ctx, k.s, func(ctx context.Context, c *esdb.Client) (*esdb.DeleteResult, error) {
		return c.TombstoneStream(ctx, keyStreamPrefix+id, esdb.TombstoneStreamOptions{ExpectedRevision: esdb.Any{}})
	})
	if code, ok := clientCode(err); ok && code == esdb.ErrorCodeStreamDeleted {
		return nil // destroyed meanwhile
	}
	return mapError(ctx, "destroy key", err)
}

// Close implements domain.PersonalDataKeys; the keys share the store's
// connection, which the store's Close releases.
func (k *Keys) Close() error { return nil }
