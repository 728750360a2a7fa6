package chain_test

import (
	"encoding/hex"
	"testing"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/chain"
)

// golden is the vector ADR 40 writes down: a first event of its stream.
var golden = chain.Event{
	Stream: "conversation-1", ID: "6f1c2c1e-3f0a-4d9e-9a51-3c2b6d7e8f90", Type: "ChatMessage",
	Data: []byte(`{"text":"hi"}`),
	Metadata: domain.Metadata{
		CorrelationID: "req-1", CausationID: "req-1", SchemaVersion: 1,
		Actor: domain.Actor{Kind: domain.ActorCustomer, ID: "p-1"},
		// Neither counts: the hash is not over itself, nor over what a
		// store adds.
		Hash: "anything",
	},
}

func TestCanonicalGoldenVector(t *testing.T) {
	form := hex.EncodeToString(chain.Canonical(chain.Genesis, golden))
	wantForm := "" +
		"0000000f" + hex.EncodeToString([]byte("parley-chain-v1")) +
		"00000040" + hex.EncodeToString([]byte(chain.Genesis)) +
		"0000000e" + hex.EncodeToString([]byte("conversation-1")) +
		"00000024" + hex.EncodeToString([]byte("6f1c2c1e-3f0a-4d9e-9a51-3c2b6d7e8f90")) +
		"0000000b" + hex.EncodeToString([]byte("ChatMessage")) +
		"0000000d" + hex.EncodeToString([]byte(`{"text":"hi"}`)) +
		"00000008" + hex.EncodeToString([]byte("actor.id")) + "00000003" + hex.EncodeToString([]byte("p-1")) +
		"0000000a" + hex.EncodeToString([]byte("actor.kind")) + "00000008" + hex.EncodeToString([]byte("customer")) +
		"0000000b" + hex.EncodeToString([]byte("causationId")) + "00000005" + hex.EncodeToString([]byte("req-1")) +
		"0000000d" + hex.EncodeToString([]byte("correlationId")) + "00000005" + hex.EncodeToString([]byte("req-1")) +
		"0000000d" + hex.EncodeToString([]byte("schemaVersion")) + "00000001" + hex.EncodeToString([]byte("1"))
	if form != wantForm {
		t.Fatalf("canonical form\n got %s\nwant %s", form, wantForm)
	}
	if got, want := chain.Hash(chain.Genesis, golden), goldenHash; got != want {
		t.Fatalf("Hash = %s, want %s (ADR 40)", got, want)
	}
}

// goldenHash is the hash of the golden event, as ADR 40 gives it.
const goldenHash = "2d95b3c3d4532368d6a04db12638ba63f6fc9cf6f264359d85021f72c62fe532"

func TestHashCoversWhatParleyWrites(t *testing.T) {
	base := chain.Hash(chain.Genesis, golden)
	tests := map[string]struct {
		when    func(e *chain.Event) string // changes e, returns the prev to hash with
		changes bool
	}{
		"another previous hash": {func(e *chain.Event) string { return base }, true},
		"another stream":        {func(e *chain.Event) string { e.Stream = "conversation-2"; return chain.Genesis }, true},
		"another id":            {func(e *chain.Event) string { e.ID = "x"; return chain.Genesis }, true},
		"another type":          {func(e *chain.Event) string { e.Type = "ActivityMessage"; return chain.Genesis }, true},
		"one byte of data":      {func(e *chain.Event) string { e.Data = []byte(`{"text":"hj"}`); return chain.Genesis }, true},
		"the correlation id":    {func(e *chain.Event) string { e.Metadata.CorrelationID = "req-2"; return chain.Genesis }, true},
		"the data key's id":     {func(e *chain.Event) string { e.Metadata.KeyID = "k-1"; return chain.Genesis }, true},
		"the causation id":      {func(e *chain.Event) string { e.Metadata.CausationID = ""; return chain.Genesis }, true},
		"the schema version":    {func(e *chain.Event) string { e.Metadata.SchemaVersion = 2; return chain.Genesis }, true},
		"the actor's kind":      {func(e *chain.Event) string { e.Metadata.Actor.Kind = domain.ActorStaff; return chain.Genesis }, true},
		"the actor's id":        {func(e *chain.Event) string { e.Metadata.Actor.ID = "p-2"; return chain.Genesis }, true},
		"the connection":        {func(e *chain.Event) string { e.Metadata.Connection = "c"; return chain.Genesis }, true},
		"the trace":             {func(e *chain.Event) string { e.Metadata.TraceID = "t"; return chain.Genesis }, true},
		// A value moved from one field to the next is another form: the
		// lengths tell the fields apart.
		"data moved into the type": {func(e *chain.Event) string { e.Type += `{"text":"hi"}`; e.Data = nil; return chain.Genesis }, true},
		"the hash itself":          {func(e *chain.Event) string { e.Metadata.Hash = ""; return chain.Genesis }, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			// given the golden event
			e := golden
			e.Data = append([]byte(nil), golden.Data...)
			// when
			prev := tc.when(&e)
			// then
			if changed := chain.Hash(prev, e) != base; changed != tc.changes {
				t.Errorf("hash changed = %v, want %v", changed, tc.changes)
			}
		})
	}
}
