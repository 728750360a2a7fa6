package chain_test

import (
	"encoding/json"
	"slices"
	"testing"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/chain"
)

// TestWalkerFindsTheFirstBreak: each kind of damage to a chained history
// is reported at the revision where it is.
func TestWalkerFindsTheFirstBreak(t *testing.T) {
	inner := openDisk(t)
	c := chain.New(inner, chain.Options{})
	mustAppend(t, c, "conversation-w", domain.NoStream(), newEvents(5))
	stored := readStream(t, inner, "conversation-w")
	tests := map[string]struct {
		when    func(recs []domain.RecordedEvent) []domain.RecordedEvent
		wantBad domain.Revision
	}{
		"one byte of data": {func(r []domain.RecordedEvent) []domain.RecordedEvent {
			r[2].Data = slices.Clone(r[2].Data)
			r[2].Data[3] ^= 1
			return r
		}, 2},
		"the actor":              {func(r []domain.RecordedEvent) []domain.RecordedEvent { r[1].Metadata.Actor.ID = "someone"; return r }, 1},
		"the type":               {func(r []domain.RecordedEvent) []domain.RecordedEvent { r[4].Type = "ActivityMessage"; return r }, 4},
		"an event left out":      {func(r []domain.RecordedEvent) []domain.RecordedEvent { return slices.Delete(r, 2, 3) }, 2},
		"the hash removed":       {func(r []domain.RecordedEvent) []domain.RecordedEvent { r[3].Metadata.Hash = ""; return r }, 3},
		"the first event's hash": {func(r []domain.RecordedEvent) []domain.RecordedEvent { r[0].Metadata.Hash = chain.Genesis; return r }, 0},
		"two events swapped, hashes and all": {func(r []domain.RecordedEvent) []domain.RecordedEvent {
			r[1], r[2] = r[2], r[1]
			r[1].Revision, r[2].Revision = 1, 2
			return r
		}, 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			// given the stored events, when damaged
			recs := tc.when(slices.Clone(stored))
			w := chain.NewWalker()
			for _, r := range recs {
				w.Add(r)
			}
			// then
			res := w.Results()[0]
			if res.Valid() || *res.FirstBad != tc.wantBad || res.Reason == "" {
				t.Fatalf("result %+v, want the first break at %d", res, tc.wantBad)
			}
		})
	}
}

// TestForgedEventOnEventStoreDB: an event appended with the EventStoreDB
// client directly, past Parley, with a made-up hash is the break.
func TestForgedEventOnEventStoreDB(t *testing.T) {
	srv := startServer(t)
	inner := openESDB(t, srv)
	c := chain.New(inner, chain.Options{})
	stream := "conversation-forged"
	mustAppend(t, c, stream, domain.NoStream(), newEvents(3))

	// when a forged event follows, with a hash of the right shape
	cfg, err := client.ParseConnectionString(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = client.NoopLogging()
	raw, err := client.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	head := readStream(t, inner, stream)[2].Metadata.Hash
	meta, _ := json.Marshal(map[string]any{"schemaVersion": 1, "actor": map[string]string{"kind": "staff", "id": "agent-1"}, "hash": head})
	forged := client.EventData{EventID: uuid.New(), EventType: "ChatMessage", ContentType: client.ContentTypeJson,
		Data: []byte(`{"text":"I never said this"}`), Metadata: meta}
	if _, err := raw.AppendToStream(ctxFor(t), stream, client.AppendToStreamOptions{ExpectedRevision: client.Revision(2)}, forged); err != nil {
		t.Fatal(err)
	}
	// and Parley appends after it, chaining to it as it finds it
	mustAppend(t, c, stream, domain.Any(), newEvents(1))

	// then
	res, err := chain.Verify(ctxFor(t), inner, stream)
	if err != nil || res.Valid() || *res.FirstBad != 3 || res.Events != 5 {
		t.Fatalf("Verify = %+v, %v; want the break at 3 of 5 events", res, err)
	}
}
