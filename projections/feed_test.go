package projections_test

import (
	"context"
	"encoding/json"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

// countingStore counts the events read with ReadStream.
type countingStore struct {
	domain.EventStore
	read atomic.Int64
}

func (s *countingStore) ReadStream(ctx context.Context, stream string, from domain.Revision, max int) ([]domain.RecordedEvent, error) {
	recs, err := s.EventStore.ReadStream(ctx, stream, from, max)
	s.read.Add(int64(len(recs)))
	return recs, err
}

// The feed decodes each event once for all its consumers, and only for those
// that ask; the read models it feeds stay current without reading the store.
func TestRunFeedSharesOneDecoding(t *testing.T) {
	store := &countingStore{EventStore: openStore(t)}
	svc := newService(t, store)
	web := startChat(t, svc, "zoe@example.com")
	infos := projections.NewConversationInfos(store, 0)
	if _, err := infos.Select(t.Context(), web.id, everything); err != nil {
		t.Fatal(err)
	}
	web.say(agent, "Bonjour")
	web.do(domain.JoinConversation{Participant: sup})
	web.do(domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: sup, Text: "staff only", Tag: domain.TagWhisper}})
	web.say(web.cus, "Merci")
	web.end()
	sms, err := svc.Start(t.Context(), domain.StartConversation{Channel: "sms", Personal: domain.PersonalData{RefID: "+15550001"}}, domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}

	connectors := projections.NewConnectors()
	type key struct {
		stream string
		rev    domain.Revision
	}
	first := map[key]domain.Event{}
	var order []key
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	read := store.read.Load()
	err = projections.RunFeed(ctx, store, 0, quiet, cancel,
		func(_ context.Context, e *projections.FeedEvent) error {
			k := key{e.Stream, e.Revision}
			order = append(order, k)
			if e.Type == domain.EventChatMessage || e.Type == domain.EventActivityMessage {
				ev, err := e.Event()
				if err != nil {
					return err
				}
				first[k] = ev
			}
			return nil
		},
		func(_ context.Context, e *projections.FeedEvent) error {
			infos.Apply(e)
			return connectors.Apply(e)
		},
		func(_ context.Context, e *projections.FeedEvent) error {
			k := key{e.Stream, e.Revision}
			if order[len(order)-1] != k {
				t.Errorf("consumers were handed different events: %v, then %v", order[len(order)-1], k)
			}
			want, ok := first[k]
			if !ok {
				return nil
			}
			ev, err := e.Event()
			if err != nil {
				return err
			}
			// Decoding again would allocate another sequence.
			if ev.(domain.Message).Sequence != want.(domain.Message).Sequence {
				t.Errorf("%v decoded twice", k)
			}
			return nil
		})
	if err != context.Canceled {
		t.Fatal(err)
	}
	if got := store.read.Load() - read; got != 0 {
		t.Errorf("the feed read %d events from the store", got)
	}

	recs, err := store.ReadStream(t.Context(), domain.StreamName(web.id), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var want []key
	for _, rec := range recs {
		want = append(want, key{rec.Stream, rec.Revision})
		if e, ok := first[key{rec.Stream, rec.Revision}]; ok {
			d, err := domain.DecodeEvent(rec)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(e, d) {
				t.Errorf("event %d: the feed decoded %+v, the store holds %+v", rec.Revision, e, d)
			}
		}
	}
	if got := order[:len(want)]; !reflect.DeepEqual(got, want) {
		t.Errorf("feed order %v, want %v", got, want)
	}

	// The cached index followed the feed: selecting a page reads nothing
	// more, and only reading its messages does.
	read = store.read.Load()
	if _, err := infos.Select(t.Context(), web.id, everything); err != nil {
		t.Fatal(err)
	}
	if n := store.read.Load() - read; n != 0 {
		t.Errorf("the view of %s was behind the feed by %d events", web.id, n)
	}
	got, err := infos.Page(t.Context(), web.id, everything)
	if err != nil {
		t.Fatal(err)
	}
	fold, err := projections.FoldInfo(web.id, recs)
	if err != nil {
		t.Fatal(err)
	}
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(fold)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("view kept by the feed:\n%s\nfolded from the store:\n%s", gotJSON, wantJSON)
	}
	if got.Conversation.Status != projections.StatusEnded {
		t.Errorf("status %q after the end", got.Conversation.Status)
	}

	if _, followed := connectors.Progress(sms.ConversationID); !followed {
		t.Error("the sms conversation is not followed for its connector")
	}
	if _, followed := connectors.Progress(web.id); followed {
		t.Error("a web conversation is followed for a connector")
	}
}

func TestFeedEventDecodesOnce(t *testing.T) {
	data, err := domain.EncodeEvent("00000000-0000-4000-8000-000000000001", domain.Message{Type: domain.TypeChatMessage,
		ConversationID: "c", From: agent, Text: "hi", Timestamp: "2026-03-01T09:00:00.000Z"}, domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	e := projections.NewFeedEvent(domain.RecordedEvent{Stream: domain.StreamName("c"), Type: data.Type, Revision: 7, Data: data.Data})
	a, err := e.Event()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.Event()
	if m := a.(domain.Message); *m.Sequence != 7 || m.Text != "hi" || b.(domain.Message).Sequence != m.Sequence {
		t.Errorf("Event() = %+v, then %+v", a, b)
	}

	bad := projections.NewFeedEvent(domain.RecordedEvent{Type: domain.EventChatMessage, Data: []byte(`{`)})
	if _, err := bad.Event(); err == nil {
		t.Fatal("undecodable data decoded")
	}
	if _, err := bad.Event(); err == nil {
		t.Fatal("the decoding error is not kept")
	}
}
