package eventschemas_test

import (
	"testing"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/webhook"
)

// FuzzDecodeEvent feeds arbitrary bytes as the data of every event type and
// version through Validate, Upcast and domain.DecodeEvent. Nothing may
// panic, and whatever validates must upcast, decode, and survive a round
// trip through domain.EncodeEvent: the schemas must never admit data the
// domain cannot read or would write differently.
func FuzzDecodeEvent(f *testing.F) {
	targets, index := schemaTargets()
	for _, e := range domainEvents(f) {
		f.Add(index[schemaTarget{e.Type, e.Metadata.SchemaVersion}], e.Data)
	}
	f.Add(index[schemaTarget{domain.EventConversationStarted, 1}], fixture(f, "ConversationStarted-v1.json"))
	f.Add(uint8(0), []byte(`null`))
	f.Add(uint8(1), []byte(`{"info":{"n":1e400},"to":[]}`))

	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		tgt := targets[int(which)%len(targets)]
		if err := reg.Validate(tgt.eventType, tgt.version, data); err != nil {
			if domain.ErrorCode(err) != domain.CodeSchema {
				t.Fatalf("Validate failed with code %s: %v", domain.ErrorCode(err), err)
			}
			return
		}
		up, version, err := reg.Upcast(tgt.eventType, tgt.version, data)
		if err != nil {
			t.Fatalf("valid %s v%d does not upcast: %v", tgt.eventType, tgt.version, err)
		}
		rec := domain.RecordedEvent{ID: "00000000-0000-4000-8000-000000000001", Type: tgt.eventType, Revision: 7, Data: up, Metadata: domain.Metadata{SchemaVersion: version}}
		e, err := domain.DecodeEvent(rec)
		if e == nil && err == nil {
			e, err = webhook.Decode(rec) // bookkeeping of its own package
		}
		if err != nil || e == nil {
			t.Fatalf("valid %s v%d does not decode: %v, %v\n%s", tgt.eventType, tgt.version, e, err, up)
		}
		again, err := domain.EncodeEvent(rec.ID, e, domain.Metadata{})
		if err != nil {
			t.Fatalf("decoded %s does not encode: %v", tgt.eventType, err)
		}
		if err := reg.Validate(again.Type, again.Metadata.SchemaVersion, again.Data); err != nil {
			t.Fatalf("valid %s v%d fails its schema once the domain encodes it again: %v\nin:  %s\nout: %s", tgt.eventType, tgt.version, err, up, again.Data)
		}
	})
}

// schemaTarget is one event type and schema version a fuzz input is checked as.
type schemaTarget struct {
	eventType string
	version   int
}

// schemaTargets lists every event type and version with a schema, and the
// index of each in that list, for a fuzz input's first byte to pick one.
func schemaTargets() ([]schemaTarget, map[schemaTarget]uint8) {
	var targets []schemaTarget
	index := map[schemaTarget]uint8{}
	for _, eventType := range reg.EventTypes() {
		for v := 1; v <= reg.Latest(eventType); v++ {
			index[schemaTarget{eventType, v}] = uint8(len(targets))
			targets = append(targets, schemaTarget{eventType, v})
		}
	}
	return targets, index
}
