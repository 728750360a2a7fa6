package domain_test

import (
	"reflect"
	"testing"

	"github.com/parley-chat/parley/domain"
)

func TestDecideRegisterConnector(t *testing.T) {
	tests := map[string]struct {
		when     domain.RegisterConnector
		wantCode domain.Code
		want     []domain.Event
	}{
		"register": {when: domain.RegisterConnector{ID: "sms", Name: "SMS gateway", Channel: "sms", Connection: "conn-1"},
			want: []domain.Event{domain.ConnectorRegistered{ID: "sms", Name: "SMS gateway", Channel: "sms", Connection: "conn-1", Timestamp: domain.FormatTime(now)}}},
		"id other than the channel": {when: domain.RegisterConnector{ID: "gw", Channel: "sms"}, wantCode: domain.CodeInvalid},
		"no channel":                {when: domain.RegisterConnector{}, wantCode: domain.CodeInvalid},
		"blank channel":             {when: domain.RegisterConnector{ID: " ", Channel: " "}, wantCode: domain.CodeInvalid},
		"control character in name": {when: domain.RegisterConnector{ID: "sms", Name: "a\x00b", Channel: "sms"}, wantCode: domain.CodeInvalidMessage},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := domain.DecideRegisterConnector(tt.when, env())
			if code := domain.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("error %v, want code %q", err, tt.wantCode)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDecideDelivery(t *testing.T) {
	smsStart := started().(domain.ConversationStarted)
	smsStart.Channel = "sms"
	reply := domain.Message{ID: "33333333-3333-4333-8333-333333333333", ConversationID: convID, Type: domain.TypeChatMessage, From: agent, Text: "hi"}
	sms := []domain.Event{smsStart, joined(agent), reply} // reply is stored at sequence 2
	delivered := func(seq uint64) domain.RecordDelivery {
		return domain.RecordDelivery{MessageID: reply.ID, ConversationID: convID, Sequence: seq, Channel: "sms", Connector: "sms"}
	}
	onWeb := delivered(2)
	onWeb.Channel, onWeb.Connector = "web", "web"
	noID := delivered(2)
	noID.MessageID = ""
	unknown := delivered(2)
	unknown.MessageID = "44444444-4444-4444-8444-444444444444"

	tests := map[string]struct {
		given    []domain.Event
		when     domain.RecordDelivery
		wantCode domain.Code
		want     []domain.Event
	}{
		"deliver a stored message": {given: sms, when: delivered(2), want: []domain.Event{domain.MessageDelivered{
			MessageID: reply.ID, ConversationID: convID, Sequence: 2, Channel: "sms", Connector: "sms", Timestamp: domain.FormatTime(now)}}},
		"deliver after the end": {given: append(sms[:3:3], ended()), when: delivered(2), want: []domain.Event{domain.MessageDelivered{
			MessageID: reply.ID, ConversationID: convID, Sequence: 2, Channel: "sms", Connector: "sms", Timestamp: domain.FormatTime(now)}}},
		"deliver without a message id":           {given: sms, when: noID, wantCode: domain.CodeInvalid},
		"deliver in no conversation":             {when: delivered(2), wantCode: domain.CodeNotFound},
		"deliver an unknown message":             {given: sms, when: unknown, wantCode: domain.CodeMessageNotFound},
		"deliver at the wrong sequence":          {given: sms, when: delivered(1), wantCode: domain.CodeInvalid},
		"deliver by another channel's connector": {given: sms, when: onWeb, wantCode: domain.CodeForbidden},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			c := given(t, tt.given...)
			got, err := domain.DecideDelivery(c, tt.when, env())
			if code := domain.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("error %v, want code %q", err, tt.wantCode)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("events %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDeliveryEventIDIsTheMessages(t *testing.T) {
	a, b := domain.DeliveryEventID("m1"), domain.DeliveryEventID("m1")
	if a != b || !domain.IsUUID(a) || domain.DeliveryEventID("m2") == a {
		t.Fatalf("DeliveryEventID: %s %s", a, b)
	}
}
