package projections_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

var bot = domain.Participant{ID: "bot-1", Name: "Robo", Role: domain.RoleBot}

// randomHistory drives conversation c through n random commands: joins,
// leaves, chat, whispers, messages to one participant, hand-offs, routing's
// participantAdded and participantRemoved, and sometimes the end. Commands
// the conversation refuses (a leave of someone not joined) store nothing,
// as they would from a client.
func randomHistory(c *chat, r *rand.Rand, n int) {
	c.t.Helper()
	people := []domain.Participant{c.cus, agent, sup, bot}
	info := func(p domain.Participant) json.RawMessage {
		raw, _ := json.Marshal(domain.ParticipantInfo{ID: p.ID, Name: p.Name, Role: p.Role})
		return raw
	}
	for range n {
		p := people[r.IntN(len(people))]
		var cmd domain.Command
		switch k := r.IntN(20); {
		case k < 3:
			cmd = domain.JoinConversation{Participant: p}
		case k < 5:
			cmd = domain.LeaveConversation{Participant: p}
		case k < 6:
			cmd = domain.PostMessage{Message: domain.Message{Type: domain.TypeActivityMessage, ActivityType: domain.ActivityHandOff, From: agent}}
		case k < 7:
			cmd = domain.PostMessage{Message: domain.Message{Type: domain.TypeActivityMessage, ActivityType: domain.ActivityParticipantAdded, From: sup, Info: info(bot)}}
		case k < 8:
			cmd = domain.PostMessage{Message: domain.Message{Type: domain.TypeActivityMessage, ActivityType: domain.ActivityParticipantRemoved, From: sup, Info: info(people[1+r.IntN(3)])}}
		case k < 9:
			cmd = domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: p, Text: "psst", Tag: domain.TagWhisper}}
		case k < 10:
			cmd = domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: p, Text: "just you", To: []domain.Participant{c.cus}}}
		case k == 19 && r.IntN(4) == 0:
			cmd = domain.EndConversation{By: agent}
		default:
			cmd = domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: p, Text: fmt.Sprintf("line %d", k)}}
		}
		_, err := c.svc.Execute(c.t.Context(), c.id, cmd, domain.Metadata{})
		var de *domain.Error
		if err != nil && !errors.As(err, &de) {
			c.t.Fatalf("%T: %v", cmd, err)
		}
	}
}

// TestPastViewAtTheEndIsTheLiveView holds, for every conversation of a
// generated history, that the view right after its last event (and beyond
// it) is the live view, and that the view after every event is the fold of
// the events up to it.
func TestPastViewAtTheEndIsTheLiveView(t *testing.T) {
	store := openStore(t)
	svc := newService(t, store)
	infos := projections.NewConversationInfos(store, 0)
	r := rand.New(rand.NewPCG(18, 39))
	var chats []*chat
	for i := range 12 {
		c := startChat(t, svc, fmt.Sprintf("p%d@example.com", i))
		randomHistory(c, r, 20+r.IntN(60))
		chats = append(chats, c)
	}
	ctx := t.Context()
	kinds, statuses := map[string]int{}, map[string]int{}
	defer func() { t.Logf("events by kind: %v; conversations by status: %v", kinds, statuses) }()
	for _, c := range chats {
		live, err := infos.Page(ctx, c.id, everything)
		if err != nil {
			t.Fatal(err)
		}
		for _, beyond := range []int64{0, 1, 1000} {
			past, err := projections.PageAt(ctx, store, c.id, projections.AtSequence(live.Version+beyond), everything)
			if err != nil {
				t.Fatal(err)
			}
			if past.AsOf == nil || past.AsOf.Sequence != live.Version || past.AsOf.Recorded == "" {
				t.Fatalf("%s at %d: asOf %+v, want sequence %d", c.id, live.Version+beyond, past.AsOf, live.Version)
			}
			past.AsOf = nil
			if !reflect.DeepEqual(past, live) {
				t.Fatalf("%s at %d differs from the live view:\npast %+v\nlive %+v", c.id, live.Version+beyond, past, live)
			}
		}
		recs, err := store.ReadStream(ctx, domain.StreamName(c.id), 0, 10000)
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			kinds[rec.Type+" "+activityOf(rec)]++
		}
		statuses[live.Conversation.Status]++
		for k := range recs {
			want, err := projections.FoldInfo(c.id, recs[:k+1])
			if err != nil {
				t.Fatal(err)
			}
			got, err := projections.PageAt(ctx, store, c.id, projections.AtSequence(int64(k)), everything)
			if err != nil {
				t.Fatal(err)
			}
			got.AsOf = nil
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s at %d:\ngot  %+v\nwant %+v", c.id, k, got, want)
			}
		}
	}
}

// TestPastViewSpotChecks walks one scripted conversation and checks the
// view right after each step against what had happened by then.
func TestPastViewSpotChecks(t *testing.T) {
	store := openStore(t)
	c := startChat(t, newService(t, store), "spot@example.com")
	handOff := domain.PostMessage{Message: domain.Message{Type: domain.TypeActivityMessage, ActivityType: domain.ActivityHandOff, From: agent}}
	type want struct{ status, agent string }
	steps := []struct {
		name string
		when func()
		then want
	}{
		{"the customer and the agent joined", func() {}, want{projections.StatusActive, projections.StateJoined}},
		{"the customer says hello", func() { c.say(c.cus, "hello") }, want{projections.StatusActive, projections.StateJoined}},
		{"a hand-off queues it", func() { c.do(handOff) }, want{projections.StatusQueued, projections.StateJoined}},
		{"the agent leaves, still queued", func() { c.do(domain.LeaveConversation{Participant: agent}) }, want{projections.StatusQueued, projections.StateLeft}},
		{"a supervisor's join does not take it", func() { c.do(domain.JoinConversation{Participant: sup}) }, want{projections.StatusQueued, projections.StateLeft}},
		{"the agent's join takes it", func() { c.do(domain.JoinConversation{Participant: agent}) }, want{projections.StatusActive, projections.StateJoined}},
		{"ended", c.end, want{projections.StatusEnded, projections.StateJoined}}, // an end leaves no one
	}
	ats := make([]int64, len(steps))
	for i, st := range steps {
		st.when()
		recs, err := store.ReadStream(t.Context(), domain.StreamName(c.id), 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		ats[i] = int64(len(recs) - 1)
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got, err := projections.PageAt(t.Context(), store, c.id, projections.AtSequence(ats[i]), everything)
			if err != nil {
				t.Fatal(err)
			}
			state := ""
			for _, p := range got.Participants {
				if p.ID == agent.ID {
					state = p.State
				}
			}
			// Every event after the start is a message.
			g := want{got.Conversation.Status, state}
			if g != st.then || got.Version != ats[i] || got.AsOf.Sequence != ats[i] || int64(len(got.Messages)) != ats[i] {
				t.Fatalf("at %d: %+v (version %d, asOf %+v, %d messages), want %+v", ats[i], g, got.Version, got.AsOf, len(got.Messages), st.then)
			}
		})
	}
}

// TestPastViewAtAnInstant maps instants to the last event recorded at or
// before them.
func TestPastViewAtAnInstant(t *testing.T) {
	store := openStore(t)
	c := startChat(t, newService(t, store), "instant@example.com")
	for i := range 5 {
		c.say(c.cus, fmt.Sprintf("m%d", i))
	}
	recs, err := store.ReadStream(t.Context(), domain.StreamName(c.id), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for k, rec := range recs {
		want := k
		for want+1 < len(recs) && !recs[want+1].Recorded.After(rec.Recorded) {
			want++ // events recorded in the same instant all belong to it
		}
		got, err := projections.PageAt(t.Context(), store, c.id, projections.AtInstant(rec.Recorded), everything)
		if err != nil {
			t.Fatal(err)
		}
		if got.AsOf.Sequence != int64(want) || got.Version != int64(want) {
			t.Fatalf("at the instant of event %d: asOf %+v, version %d, want %d", k, got.AsOf, got.Version, want)
		}
	}
	_, err = projections.PageAt(t.Context(), store, c.id, projections.AtInstant(recs[0].Recorded.Add(-1)), everything)
	if domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("before the start: %v, want not found", err)
	}
	_, err = projections.PageAt(t.Context(), store, "no-such-conversation", projections.AtSequence(3), everything)
	if domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("unknown conversation: %v, want not found", err)
	}
}

// activityOf returns the activity type of a stored message, if any.
func activityOf(rec domain.RecordedEvent) string {
	var m struct {
		ActivityType string `json:"activityType"`
	}
	_ = json.Unmarshal(rec.Data, &m)
	return m.ActivityType
}

// TestPastViewOverAPlaceholder: a conversation whose history a repair of
// the store left with a placeholder in place of a damaged message (copied,
// as repaired, into a store of its own) shows the loss from that event on,
// and not before it.
func TestPastViewOverAPlaceholder(t *testing.T) {
	store := openStore(t)
	c := startChat(t, newService(t, store), "lost@example.com")
	c.say(c.cus, "my order number is 1042")
	c.say(agent, "thank you")
	recs := readAll(t, store, c.id)
	lost := len(recs) - 2 // the customer's message
	events := make([]domain.EventData, len(recs))
	for i, r := range recs {
		events[i] = domain.EventData{ID: r.ID, Type: r.Type, Data: r.Data, Metadata: r.Metadata, Recorded: r.Recorded}
	}
	placeholder, err := domain.EncodeEvent(recs[lost].ID, domain.LostInRepair{Position: recs[lost].Position, StreamKnown: true,
		Quarantine: "events.log.quarantine-1-00000000", DamagedOffset: 1, DamagedBytes: 10}, domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	events[lost] = placeholder
	repaired, err := diskstore.Open(t.TempDir(), diskstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repaired.Close() })
	if _, err := repaired.Append(t.Context(), domain.StreamName(c.id), domain.Any(), events); err != nil {
		t.Fatal(err)
	}
	for at := int64(lost - 1); at <= int64(len(recs)-1); at++ {
		got, err := projections.PageAt(t.Context(), repaired, c.id, projections.AtSequence(at), everything)
		if err != nil {
			t.Fatal(err)
		}
		want := []int64(nil)
		if at >= int64(lost) {
			want = []int64{int64(lost)}
		}
		if !reflect.DeepEqual(got.LostInRepair, want) {
			t.Fatalf("at %d: lostInRepair %v, want %v", at, got.LostInRepair, want)
		}
	}
}
