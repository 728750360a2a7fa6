package personaldata_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/adapters/keyfile"
	"github.com/parley-chat/parley/adapters/personaldata"
	"github.com/parley-chat/parley/domain"
)

var secret = bytes.Repeat([]byte{7}, personaldata.SecretSize)

// fixture is a decorated store over a real embedded store and key file.
type fixture struct {
	dir   string
	inner *diskstore.Store
	keys  *keyfile.File
	store *personaldata.Store
}

func open(t *testing.T, dir string) *fixture {
	t.Helper()
	inner, err := diskstore.Open(dir, diskstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyfile.Open(filepath.Join(dir, keyfile.Name))
	if err != nil {
		t.Fatal(err)
	}
	s, err := personaldata.New(personaldata.Config{Store: inner, Keys: keys, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: dir, inner: inner, keys: keys, store: s}
	t.Cleanup(func() { _ = s.Close() })
	return f
}

var now = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

// conversation decides a conversation of customer (a name and an email)
// with one line from the customer and one from an agent, and returns its
// events as the service would append them.
func conversation(t testing.TB, conv, first, email, line string) []domain.EventData {
	t.Helper()
	n := 0
	env := domain.Env{Now: now, NewID: func() string { n++; return fmt.Sprintf("00000000-0000-4000-8000-%012d", n+len(conv)*1000) }, Limits: domain.DefaultLimits}
	c := domain.NewConversation(conv)
	var out []domain.EventData
	customer := domain.Participant{ID: "cust-" + conv}
	agent := domain.Participant{ID: "agent-1", Name: "Ann", Role: domain.RoleAgent}
	for _, cmd := range []domain.Command{
		domain.StartConversation{ConversationID: conv, CustomerID: customer.ID, Channel: "web", URL: "https://shop.example.com/" + first,
			Personal: domain.PersonalData{FirstName: first, LastName: "Doe", Email: email}, Fields: []domain.Field{{Name: "order", Value: first + "-1042"}}},
		domain.JoinConversation{Participant: customer},
		domain.JoinConversation{Participant: agent},
		domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: customer, Text: line,
			Attachments: []domain.Attachment{{ContentURL: "https://files.example.com/" + first + ".png"}}}},
		domain.PostMessage{Message: domain.Message{Type: domain.TypeChatMessage, From: agent, Text: "Happy to help."}},
	} {
		events, err := domain.Decide(c, cmd, env)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			id := env.NewID()
			if m, ok := e.(domain.Message); ok {
				id = m.ID
			}
			d, err := domain.EncodeEvent(id, e, domain.Metadata{})
			if err != nil {
				t.Fatal(err)
			}
			c.Apply(domain.Revision(len(out)), e)
			out = append(out, d)
		}
	}
	return out
}

func appendAll(t *testing.T, s domain.EventStore, conv string, events []domain.EventData) {
	t.Helper()
	for _, e := range events { // one append each, as commands do
		if _, err := s.Append(context.Background(), domain.StreamName(conv), domain.Any(), []domain.EventData{e}); err != nil {
			t.Fatal(err)
		}
	}
}

func read(t *testing.T, s domain.EventStore, conv string) []domain.RecordedEvent {
	t.Helper()
	recs, err := s.ReadStream(context.Background(), domain.StreamName(conv), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func customerID(t *testing.T, recs []domain.RecordedEvent) string {
	t.Helper()
	e, err := domain.DecodeEvent(recs[0])
	if err != nil {
		t.Fatal(err)
	}
	return e.(domain.ConversationStarted).Customer.CustomerID
}

// Given a conversation appended through the store, the store below holds no
// personal value in clear, and every reader gets back what was appended:
// byte for byte, whether the values were sealed in place in the stored
// bytes (a plain text) or the message was encoded again (a text that JSON
// escapes).
func TestRoundTrip(t *testing.T) {
	for _, line := range []string{"My card ends in 4242.", `My card "ends" in <4242> & so on.`} {
		for name, fresh := range map[string]bool{"on the node that sealed": false, "on another node": true} {
			t.Run(name+"/"+line, func(t *testing.T) { roundTrip(t, line, fresh) })
		}
	}
}

func roundTrip(t *testing.T, line string, fresh bool) {
	t.Helper()
	f := open(t, t.TempDir())
	events := conversation(t, "c1", "Ada", "ada@example.com", line)
	appendAll(t, f.store, "c1", events)
	for _, rec := range read(t, f.inner, "c1") {
		for _, secret := range []string{"Ada", "ada@example.com", "4242", "Ada.png", "Ada-1042"} {
			if bytes.Contains(unsealed(rec.Data), []byte(secret)) {
				t.Errorf("%s %s holds %q in clear: %s", rec.Type, rec.ID, secret, rec.Data)
			}
		}
	}
	reader := f.store
	if fresh {
		reader = reopen(t, f)
	}
	got := read(t, reader, "c1")
	id := customerID(t, got)
	if len(id) != 32 {
		t.Fatalf("customerId = %q, want 32 hex digits", id)
	}
	for i, rec := range got {
		want := events[i].Data
		if i == 0 {
			want = withCustomerID(t, want, id)
		}
		if !bytes.Equal(rec.Data, want) {
			t.Errorf("event %d reads\n%s\nwant\n%s", i, rec.Data, want)
		}
	}
}

// reopen closes f's stores and opens them again, with empty caches.
func reopen(t *testing.T, f *fixture) *personaldata.Store {
	t.Helper()
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	return open(t, f.dir).store
}

func withCustomerID(t *testing.T, data []byte, id string) []byte {
	var s domain.ConversationStarted
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	s.Customer.CustomerID = id
	out, _ := json.Marshal(s)
	return out
}

// Given two customers, when one's key is destroyed, then their values read
// as [erased] while everything else, and the other customer, reads as
// written; the same holds after a restart.
func TestErasedKey(t *testing.T) {
	f := open(t, t.TempDir())
	appendAll(t, f.store, "c1", conversation(t, "c1", "Ada", "ada@example.com", "My card ends in 4242."))
	appendAll(t, f.store, "c2", conversation(t, "c2", "Bob", "bob@example.com", "Where is my parcel?"))
	if err := f.store.Keys().Destroy(context.Background(), customerID(t, read(t, f.store, "c1"))); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T, s domain.EventStore) {
		erased := string(unsealed([]byte(joined(read(t, s, "c1")))))
		for _, gone := range []string{"Ada", "ada@example.com", "4242", "Ada.png", "Ada-1042"} {
			if strings.Contains(erased, gone) {
				t.Errorf("%q is still readable after the erasure", gone)
			}
		}
		for _, kept := range []string{domain.Erased, "Happy to help.", `"name":"Ann"`, `"name":"order"`} {
			if !strings.Contains(erased, kept) {
				t.Errorf("%q is missing after the erasure", kept)
			}
		}
		if other := joined(read(t, s, "c2")); !strings.Contains(other, "Where is my parcel?") || !strings.Contains(other, "bob@example.com") {
			t.Errorf("the other customer's data changed: %s", other)
		}
	}
	t.Run("at once", func(t *testing.T) { check(t, f.store) })
	t.Run("after a restart", func(t *testing.T) { check(t, reopen(t, f)) })
}

func joined(recs []domain.RecordedEvent) string {
	var b strings.Builder
	for _, r := range recs {
		b.Write(r.Data)
	}
	return b.String()
}

// Given history written before encryption, it reads as it was, and new
// messages of such a conversation stay plain: no key was ever made for it.
func TestPlainHistoryPassesThrough(t *testing.T) {
	f := open(t, t.TempDir())
	events := conversation(t, "old", "Cleo", "cleo@example.com", "Written before encryption.")
	appendAll(t, f.inner, "old", events[:len(events)-1])
	appendAll(t, f.store, "old", events[len(events)-1:])
	for i, rec := range read(t, f.store, "old") {
		if !bytes.Equal(rec.Data, events[i].Data) || rec.Metadata.KeyID != "" {
			t.Errorf("event %d reads %s (key %q), want it as written", i, rec.Data, rec.Metadata.KeyID)
		}
	}
}

// Given one identity in two conversations, both get the same customer id;
// on another channel the same address is another customer.
func TestBlindIndex(t *testing.T) {
	f := open(t, t.TempDir())
	appendAll(t, f.store, "a", conversation(t, "a", "Ada", "Ada@Example.com", "one")[:1])
	appendAll(t, f.store, "b", conversation(t, "b", "Ada", "ada@example.com", "two")[:1])
	a, b := customerID(t, read(t, f.store, "a")), customerID(t, read(t, f.store, "b"))
	if a != b {
		t.Errorf("the same address got customer ids %s and %s", a, b)
	}
	if !customerIDForm.MatchString(a) {
		t.Errorf("the customer id %q is not 32 hex digits: it may hold the address", a)
	}
}

// Given an erased customer, a new conversation under the same identity is
// refused with personal_data_erased rather than tied to the erased one.
func TestErasedIdentityCannotStartAgain(t *testing.T) {
	f := open(t, t.TempDir())
	appendAll(t, f.store, "a", conversation(t, "a", "Ada", "ada@example.com", "one")[:1])
	if err := f.store.Keys().Destroy(context.Background(), customerID(t, read(t, f.store, "a"))); err != nil {
		t.Fatal(err)
	}
	start := conversation(t, "b", "Ada", "ada@example.com", "two")[:1]
	_, err := f.store.Append(context.Background(), domain.StreamName("b"), domain.NoStream(), start)
	if domain.ErrorCode(err) != domain.CodeErased {
		t.Fatalf("got %v, want code %s", err, domain.CodeErased)
	}
}

// Given a customer whose participant id JSON escapes (so its bytes are not
// in the message as they are), their messages are sealed all the same.
func TestEscapedCustomerIDIsSealed(t *testing.T) {
	f := open(t, t.TempDir())
	events := conversation(t, "c<&>", "Ada", "ada@example.com", "Escaped but mine.")
	appendAll(t, f.store, "c<&>", events)
	for _, rec := range read(t, f.inner, "c<&>") {
		if bytes.Contains(rec.Data, []byte("Escaped but mine.")) {
			t.Fatalf("%s holds the customer's line in clear: %s", rec.Type, rec.Data)
		}
	}
}

// Given two starts racing for one conversation, the one that lost does not
// decide whose messages are sealed.
func TestLosingStartDoesNotNameTheCustomer(t *testing.T) {
	f := open(t, t.TempDir())
	won := conversation(t, "race", "Ada", "ada@example.com", "I won the race.")
	lost := conversation(t, "race", "Ada", "ada@example.com", "unused")
	var wev *domain.WrongExpectedVersionError
	ctx := context.Background()
	if _, err := f.store.Append(ctx, domain.StreamName("race"), domain.NoStream(), won[:1]); err != nil {
		t.Fatal(err)
	}
	lostStart := lost[0]
	lostStart.ID = "00000000-0000-4000-8000-0000000000ff"
	lostStart.Data = bytes.Replace(lostStart.Data, []byte(`"cust-race"`), []byte(`"someone-else"`), 1)
	if _, err := f.store.Append(ctx, domain.StreamName("race"), domain.NoStream(), []domain.EventData{lostStart}); !errors.As(err, &wev) {
		t.Fatalf("the second start: %v, want a wrong expected version", err)
	}
	appendAll(t, f.store, "race", won[1:])
	for _, rec := range read(t, f.inner, "race") {
		if bytes.Contains(rec.Data, []byte("I won the race.")) {
			t.Fatalf("the winner's line is in clear: %s", rec.Data)
		}
	}
}

// Given a whole conversation in one append (as parley migrate copies a
// stream), its messages are sealed for the customer its start names.
func TestOneAppendWithStartAndMessages(t *testing.T) {
	f := open(t, t.TempDir())
	events := conversation(t, "batch", "Ada", "ada@example.com", "All in one go.")
	if _, err := f.store.Append(context.Background(), domain.StreamName("batch"), domain.NoStream(), events); err != nil {
		t.Fatal(err)
	}
	for _, rec := range read(t, f.inner, "batch") {
		for _, v := range []string{"Ada", "All in one go."} {
			if bytes.Contains(unsealed(rec.Data), []byte(v)) {
				t.Errorf("%s holds %q in clear: %s", rec.Type, v, rec.Data)
			}
		}
	}
}

// sealedValue matches a sealed value: its base64url text may hold any
// short string (a name such as "Ada") by chance, so searches for values in
// clear look at what is left without them.
var sealedValue = regexp.MustCompile(`enc:[A-Za-z0-9_-]*`)

// customerIDForm is the blind index's form: 16 bytes of a keyed hash, in hex.
var customerIDForm = regexp.MustCompile(`^[0-9a-f]{32}$`)

// unsealed returns data without its sealed values.
func unsealed(data []byte) []byte { return sealedValue.ReplaceAll(data, []byte("enc:")) }
