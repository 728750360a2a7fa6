package webhook_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/webhook"
)

func TestParseFrom(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		raw     string
		want    webhook.From
		wantErr bool
	}{
		"start":           {raw: `"start"`, want: webhook.From{Start: true}},
		"number":          {raw: `42`, want: webhook.From{Position: 42}},
		"digits":          {raw: `"42"`, want: webhook.From{Position: 42}},
		"time":            {raw: `"2026-12-01T10:00:00Z"`, want: webhook.From{Time: at}},
		"missing":         {raw: ``, wantErr: true},
		"null":            {raw: `null`, wantErr: true},
		"negative":        {raw: `-1`, wantErr: true},
		"word":            {raw: `"yesterday"`, wantErr: true},
		"fraction":        {raw: `1.5`, wantErr: true},
		"object":          {raw: `{}`, wantErr: true},
		"unclosed string": {raw: `"start`, wantErr: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := webhook.ParseFrom(json.RawMessage(tt.raw))
			if tt.wantErr {
				if domain.ErrorCode(err) != domain.CodeInvalid {
					t.Fatalf("err = %v, want %s", err, domain.CodeInvalid)
				}
				return
			}
			if err != nil || got.Start != tt.want.Start || got.Position != tt.want.Position || !got.Time.Equal(tt.want.Time) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestState folds given events and checks the state: given/when/then.
func TestState(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	lease := domain.FormatTime(now.Add(30 * time.Second))
	tests := map[string]struct {
		given     []domain.Event
		then      func(webhook.State) bool
		claimable map[string]bool // node -> may claim at now
	}{
		"new webhook": {
			then:      func(s webhook.State) bool { return !s.Exists && s.Position == 0 && s.Expected().IsNoStream() },
			claimable: map[string]bool{"a": true, "b": true},
		},
		"claimed by a": {
			given:     []domain.Event{webhook.Claimed{Node: "a", LeaseUntil: lease}},
			then:      func(s webhook.State) bool { r, ok := s.Expected().Exact(); return s.Owner == "a" && ok && r == 0 },
			claimable: map[string]bool{"a": true, "b": false},
		},
		"lease ran out": {
			given:     []domain.Event{webhook.Claimed{Node: "a", LeaseUntil: domain.FormatTime(now.Add(-time.Second))}},
			then:      func(s webhook.State) bool { return s.Owner == "a" },
			claimable: map[string]bool{"a": true, "b": true},
		},
		"checkpoint then replay": {
			given: []domain.Event{webhook.Checkpointed{Position: 90, Attempts: 2, LastError: "status 500"},
				webhook.Controlled{Action: webhook.ActionReplay, From: 10}},
			then: func(s webhook.State) bool { return s.Position == 10 && s.Replays == 1 && s.Attempts == 2 },
		},
		"pause and resume": {
			given: []domain.Event{webhook.Controlled{Action: webhook.ActionPause}, webhook.Controlled{Action: webhook.ActionResume}},
			then:  func(s webhook.State) bool { return !s.Paused },
		},
		"paused": {
			given: []domain.Event{webhook.Controlled{Action: webhook.ActionPause}, webhook.Checkpointed{Position: 5}},
			then:  func(s webhook.State) bool { return s.Paused && s.Position == 5 },
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s := webhook.State{Name: "crm"}
			for i, e := range tt.given {
				s.Apply(domain.Revision(i), e)
			}
			if !tt.then(s) {
				t.Errorf("state = %+v", s)
			}
			for node, want := range tt.claimable {
				if got := s.Claimable(node, now); got != want {
					t.Errorf("Claimable(%s) = %v, want %v", node, got, want)
				}
			}
		})
	}
}
