package eventschemas_test

import (
	"testing"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/webhook"
)

// webhookEvents returns one event of each webhook bookkeeping type, as the
// webhook worker writes them.
func webhookEvents(tb testing.TB) []domain.EventData {
	tb.Helper()
	at := domain.FormatTime(testNow)
	events := []domain.Event{
		webhook.Claimed{Webhook: "crm", Node: "node-1", LeaseUntil: at, At: at},
		webhook.Checkpointed{Webhook: "crm", Node: "node-1", Position: 42, Delivered: 7, LastSuccessAt: at, LastError: "status 500", LastErrorAt: at, Attempts: 2, At: at},
		webhook.Controlled{Webhook: "crm", Action: webhook.ActionReplay, From: 0, By: "sup-1", At: at},
	}
	ids := newIDs()
	out := make([]domain.EventData, len(events))
	for i, e := range events {
		d, err := domain.EncodeEvent(ids(), e, domain.Metadata{CorrelationID: "req-3"})
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = d
	}
	return out
}

func TestValidate_Webhook(t *testing.T) {
	for _, e := range webhookEvents(t) {
		if err := reg.Validate(e.Type, e.Metadata.SchemaVersion, e.Data); err != nil {
			t.Errorf("%s: %v\n%s", e.Type, err, e.Data)
		}
		bad := mutate(t, e.Data, func(m map[string]any) { m["webhook"] = "" })
		if reg.Validate(e.Type, e.Metadata.SchemaVersion, bad) == nil {
			t.Errorf("%s with an empty webhook name passes", e.Type)
		}
	}
}
