package erasure_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/adapters/keyfile"
	"github.com/parley-chat/parley/adapters/personaldata"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/erasure"
)

var now = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func open(t *testing.T) *personaldata.Store {
	t.Helper()
	dir := t.TempDir()
	inner, err := diskstore.Open(dir, diskstore.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyfile.Open(filepath.Join(dir, keyfile.Name))
	if err != nil {
		t.Fatal(err)
	}
	s, err := personaldata.New(personaldata.Config{Store: inner, Keys: keys, Secret: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// start stores a conversation of the customer with email and returns their
// customer id.
func start(t *testing.T, s domain.EventStore, conv, email string) string {
	t.Helper()
	events, err := domain.Decide(domain.NewConversation(conv), domain.StartConversation{
		ConversationID: conv, CustomerID: "c-" + conv, Channel: "web", Personal: domain.PersonalData{Email: email},
	}, domain.Env{Now: now, NewID: uuid.NewString, Limits: domain.DefaultLimits})
	if err != nil {
		t.Fatal(err)
	}
	d, err := domain.EncodeEvent(uuid.NewString(), events[0], domain.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), domain.StreamName(conv), domain.NoStream(), []domain.EventData{d}); err != nil {
		t.Fatal(err)
	}
	recs, err := s.ReadStream(context.Background(), domain.StreamName(conv), 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	var started domain.ConversationStarted
	if err := json.Unmarshal(recs[0].Data, &started); err != nil {
		t.Fatal(err)
	}
	return started.Customer.CustomerID
}

func TestErase(t *testing.T) {
	s := open(t)
	ada := start(t, s, "a1", "ada@example.com")
	start(t, s, "a2", "ada@example.com")
	start(t, s, "b1", "bob@example.com")
	e := &erasure.Eraser{Store: s, History: s.Below(), Keys: s.Keys(), Now: func() time.Time { return now }}
	ctx := context.Background()

	tests := []struct {
		name         string
		id           string
		wantCode     domain.Code
		wantConvs    int
		wantRecorded int
	}{
		{"a customer's first erasure covers all their conversations", ada, "", 2, 2},
		{"erasing again records nothing new", ada, "", 2, 0},
		{"an unknown customer", strings.Repeat("0", 32), domain.CodeCustomerNotFound, 0, 0},
		{"a malformed id", "Ada", domain.CodeInvalid, 0, 0},
		{"a malformed id of 10,000 characters", strings.Repeat("x", 10000), domain.CodeInvalid, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Erase(ctx, tt.id)
			if domain.ErrorCode(err) != tt.wantCode {
				t.Fatalf("Erase = %v, want code %q", err, tt.wantCode)
			}
			if err != nil && len(err.Error()) > 2*domain.MaxEcho+100 {
				t.Errorf("the refusal repeats the whole input (%d bytes); it must clip it", len(err.Error()))
			}
			if len(res.Conversations) != tt.wantConvs || res.Recorded != tt.wantRecorded {
				t.Fatalf("Erase = %+v, want %d conversations, %d recorded", res, tt.wantConvs, tt.wantRecorded)
			}
		})
	}
	for conv, want := range map[string]bool{"a1": true, "a2": true, "b1": false} {
		recs, err := s.ReadStream(ctx, domain.StreamName(conv), 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		erased := recs[len(recs)-1].Type == domain.EventPersonalDataErased
		if erased != want || erased && !bytes.Contains(recs[0].Data, []byte(domain.Erased)) {
			t.Errorf("%s: erased %v (%s), want %v", conv, erased, recs[0].Data, want)
		}
	}
}
