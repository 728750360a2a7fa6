package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/parley-chat/parley/domain"
)

// Payload is the JSON body of one delivery: one stored event of a
// conversation stream.
type Payload struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	Stream         string          `json:"stream"`
	ConversationID string          `json:"conversationId"`
	Sequence       domain.Revision `json:"sequence"`
	Position       domain.Position `json:"position"`
	Recorded       string          `json:"recorded"`
	Data           json.RawMessage `json:"data"`
	Metadata       domain.Metadata `json:"metadata"`
}

// wants reports whether spec delivers rec at all: it must be an event of a
// conversation stream, of one of the spec's types, and no whisper unless
// the spec takes whispers.
func (s Spec) wants(rec domain.RecordedEvent) bool {
	if _, ok := domain.ConversationIDOf(rec.Stream); !ok {
		return false
	}
	if len(s.Types) > 0 && !s.Types[rec.Type] {
		return false
	}
	if !s.Whispers && (rec.Type == domain.EventChatMessage || rec.Type == domain.EventActivityMessage) {
		var tag struct {
			Tag string `json:"tag"`
		}
		if json.Unmarshal(rec.Data, &tag) == nil && tag.Tag == domain.TagWhisper {
			return false
		}
	}
	return true
}

// body returns the JSON body spec receives for rec.
func (s Spec) body(rec domain.RecordedEvent) ([]byte, error) {
	conv, _ := domain.ConversationIDOf(rec.Stream)
	data := json.RawMessage(rec.Data)
	if !s.Personal {
		var err error
		if data, err = withoutPersonal(rec.Data); err != nil {
			return nil, fmt.Errorf("event %s: %w", rec.ID, err)
		}
	}
	meta := rec.Metadata
	meta.Connection = "" // a node's connection id means nothing outside it
	return json.Marshal(Payload{
		ID: rec.ID, Type: rec.Type, Stream: rec.Stream, ConversationID: conv,
		Sequence: rec.Revision, Position: rec.Position, Recorded: domain.FormatTime(rec.Recorded),
		Data: data, Metadata: meta,
	})
}

// withoutPersonal removes what identifies the customer: every "personal"
// object (the customer's name, email, phone, refId and whatever fields a
// developer adds there), a message's refId (the customer's account on its
// channel), the names of customer participants, and the text of Parley's
// own messages to the customer (its greeting names them).
func withoutPersonal(data []byte) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // info may hold numbers no float64 can
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if m, ok := v.(map[string]any); ok && greetsCustomer(m) {
		delete(m, "text") // Parley's greeting names the customer
	}
	strip(v, true)
	return json.Marshal(v)
}

// greetsCustomer reports whether m is a message Parley itself wrote to a
// customer, whose text (the greeting) holds the customer's name.
func greetsCustomer(m map[string]any) bool {
	from, _ := m["from"].(map[string]any)
	if role, _ := from["role"].(string); role != string(domain.RoleSystem) {
		return false
	}
	to, _ := m["to"].([]any)
	for _, p := range to {
		if p, _ := p.(map[string]any); p["role"] == string(domain.RoleCustomer) {
			return true
		}
	}
	return false
}

func strip(v any, top bool) {
	switch v := v.(type) {
	case map[string]any:
		delete(v, "personal")
		if top {
			delete(v, "refId")
		}
		if role, _ := v["role"].(string); role == string(domain.RoleCustomer) {
			delete(v, "name")
		}
		for k, child := range v {
			if k != "info" { // the developer's own data, passed as given
				strip(child, false)
			}
		}
	case []any:
		for _, child := range v {
			strip(child, false)
		}
	}
}

// Sign returns the X-Parley-Signature value of body: "sha256=" and the hex
// HMAC-SHA256 of the body under secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature is body's signature under secret,
// comparing in constant time: what a receiver does.
func Verify(secret, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(signature))
}
