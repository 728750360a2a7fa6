package projections_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

// pagedChat is a conversation of 40 chat messages between a customer and an
// agent, with a whisper between staff after every fifth and a message to the
// supervisor alone after every seventh.
func pagedChat(t *testing.T) (domain.EventStore, *chat) {
	t.Helper()
	store := openStore(t)
	c := startChat(t, newService(t, store), "zoe@example.com")
	c.do(domain.JoinConversation{Participant: sup})
	for i := range 40 {
		from := agent
		if i%2 == 0 {
			from = c.cus
		}
		c.say(from, fmt.Sprintf("message %d", i))
		if i%5 == 4 {
			c.do(domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: agent, Text: "whisper", Tag: domain.TagWhisper}})
		}
		if i%7 == 6 {
			c.do(domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: agent, Text: "to sam", To: []domain.Participant{sup}}})
		}
	}
	return store, c
}

// expected returns the sequences q selects, worked out from every message.
func expected(all []domain.Message, q projections.Query) (seqs []int64, more bool) {
	var match []int64
	for _, m := range all {
		seq := int64(*m.Sequence)
		if (q.Viewer != nil && !m.VisibleTo(q.Viewer.ID, q.Viewer.Role)) || (q.Before >= 0 && seq >= q.Before) || (q.Since >= 0 && seq <= q.Since) {
			continue
		}
		match = append(match, seq)
	}
	if len(match) <= q.Limit {
		return match, false
	}
	if q.Since >= 0 {
		return match[:q.Limit], true
	}
	return match[len(match)-q.Limit:], true
}

func TestConversationPages(t *testing.T) {
	store, c := pagedChat(t)
	recs, err := store.ReadStream(t.Context(), domain.StreamName(c.id), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := projections.FoldInfo(c.id, recs)
	if err != nil {
		t.Fatal(err)
	}
	last := whole.Version
	customer := &domain.Participant{ID: c.cus.ID, Role: domain.RoleCustomer}
	infos := projections.NewConversationInfos(store, 0)
	for name, q := range map[string]projections.Query{
		"staff, the newest":                   {Since: -1, Before: -1, Limit: 10},
		"staff, before a sequence":            {Since: -1, Before: 30, Limit: 10},
		"staff, after since":                  {Since: 5, Before: -1, Limit: 10},
		"staff, between since and before":     {Since: 5, Before: 20, Limit: 4},
		"staff, all fit":                      {Since: -1, Before: -1, Limit: 500},
		"customer, the newest without staff":  {Viewer: customer, Since: -1, Before: -1, Limit: 7},
		"customer, after since without staff": {Viewer: customer, Since: 10, Before: -1, Limit: 7},
		"supervisor sees what is to them":     {Viewer: &sup, Since: -1, Before: -1, Limit: 60},
		"since at the end":                    {Since: last, Before: -1, Limit: 10},
		"before the start":                    {Since: -1, Before: 0, Limit: 10},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := infos.Page(t.Context(), c.id, q)
			if err != nil {
				t.Fatal(err)
			}
			wantSeqs, wantMore := expected(whole.Messages, q)
			var gotSeqs []int64
			for _, m := range got.Messages {
				gotSeqs = append(gotSeqs, int64(*m.Sequence))
				if !strings.HasPrefix(m.Text, "message") && m.Text != "whisper" && m.Text != "to sam" && m.Type == domain.TypeChatMessage {
					t.Errorf("message %d has text %q", *m.Sequence, m.Text)
				}
			}
			if !slices.Equal(gotSeqs, wantSeqs) || got.More != wantMore {
				t.Fatalf("page %v more %v, want %v more %v", gotSeqs, got.More, wantSeqs, wantMore)
			}
			switch {
			case !got.More && (got.Since != nil || got.Before != nil):
				t.Errorf("a last page with a cursor: since %v before %v", got.Since, got.Before)
			case got.More && q.Since >= 0 && (got.Since == nil || *got.Since != gotSeqs[len(gotSeqs)-1]):
				t.Errorf("since cursor %v, want the last sequence %d", got.Since, gotSeqs[len(gotSeqs)-1])
			case got.More && q.Since < 0 && (got.Before == nil || *got.Before != gotSeqs[0]):
				t.Errorf("before cursor %v, want the first sequence %d", got.Before, gotSeqs[0])
			}
			if got.Version != last || got.Conversation.Status != projections.StatusActive || len(got.Participants) != 3 {
				t.Errorf("view %+v", got)
			}
		})
	}
}

// Following the cursors, one way or the other, yields every message the
// viewer may see exactly once, in order.
func TestConversationPagesFollowCursors(t *testing.T) {
	store, c := pagedChat(t)
	infos := projections.NewConversationInfos(store, 0)
	customer := &domain.Participant{ID: c.cus.ID, Role: domain.RoleCustomer}
	for _, viewer := range []*domain.Participant{nil, customer} {
		all, err := infos.Page(t.Context(), c.id, projections.Query{Viewer: viewer, Since: -1, Before: -1, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var forward, backward []domain.Message
		for q := (projections.Query{Viewer: viewer, Since: 0, Before: -1, Limit: 6}); ; {
			pg, err := infos.Page(t.Context(), c.id, q)
			if err != nil {
				t.Fatal(err)
			}
			forward = append(forward, pg.Messages...)
			if !pg.More {
				break
			}
			q.Since = *pg.Since
		}
		for q := (projections.Query{Viewer: viewer, Since: -1, Before: -1, Limit: 6}); ; {
			pg, err := infos.Page(t.Context(), c.id, q)
			if err != nil {
				t.Fatal(err)
			}
			backward = append(pg.Messages, backward...)
			if !pg.More {
				break
			}
			q.Before = *pg.Before
		}
		// since 0 leaves out sequence 0, which is the start, not a message.
		if want := seqsOf(all.Messages); !slices.Equal(seqsOf(forward), want) || !slices.Equal(seqsOf(backward), want) {
			t.Errorf("viewer %v: forward %v, backward %v, want %v", viewer, seqsOf(forward), seqsOf(backward), want)
		}
	}
}

func seqsOf(ms []domain.Message) []uint64 {
	out := make([]uint64, len(ms))
	for i, m := range ms {
		out[i] = *m.Sequence
	}
	return out
}

// The read model keeps no message texts, and its cache stays within its
// byte budget however many conversations are read.
func TestConversationInfosStayWithinTheirBudget(t *testing.T) {
	store := openStore(t)
	svc := newService(t, store)
	long := strings.Repeat("a long message, ", 600) // 9,600 bytes
	var ids []string
	for i := range 20 {
		c := startChat(t, svc, fmt.Sprintf("c%d@example.com", i))
		for range 50 {
			c.say(agent, long)
		}
		ids = append(ids, c.id)
	}
	const budget = 64 << 10
	infos := projections.NewConversationInfos(store, budget)
	var one int64
	for _, id := range ids {
		if err := infos.With(t.Context(), id, func(x *projections.Index) error { one = x.Bytes(); return nil }); err != nil {
			t.Fatal(err)
		}
		if got := infos.CachedBytes(); got > budget {
			t.Fatalf("the cache holds %d bytes, over its budget of %d", got, budget)
		}
	}
	if texts := int64(50 * len(long)); one > texts/20 {
		t.Errorf("the index of a conversation of %d bytes of text holds %d bytes", texts, one)
	}
	// An evicted conversation is read again, whole.
	pg, err := infos.Page(t.Context(), ids[0], projections.Query{Since: -1, Before: -1, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range pg.Messages {
		if m.Text == long {
			n++
		}
	}
	if n != 50 {
		t.Fatalf("the page of an evicted conversation holds %d of its 50 long messages", n)
	}
}

// The feed never waits for a reader of a conversation: an event that comes
// while the index is in use is left to the next read, which catches up.
func TestConversationInfosNeverHoldUpTheFeed(t *testing.T) {
	store := openStore(t)
	c := startChat(t, newService(t, store), "zoe@example.com")
	infos := projections.NewConversationInfos(store, 0)
	err := infos.With(t.Context(), c.id, func(x *projections.Index) error {
		c.say(agent, "while the index is in use")
		recs, err := store.ReadStream(t.Context(), domain.StreamName(c.id), domain.Revision(x.Version+1), 10)
		if err != nil || len(recs) != 1 {
			t.Fatalf("read the new event: %d, %v", len(recs), err)
		}
		infos.Apply(projections.NewFeedEvent(recs[0])) // would wait forever if it waited for the index
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pg, err := infos.Page(t.Context(), c.id, everything)
	if err != nil {
		t.Fatal(err)
	}
	if last := pg.Messages[len(pg.Messages)-1]; last.Text != "while the index is in use" || int64(*last.Sequence) != pg.Version {
		t.Fatalf("the next read ends with %q at %d, version %d", last.Text, *last.Sequence, pg.Version)
	}
}
