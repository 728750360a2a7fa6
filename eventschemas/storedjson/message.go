package storedjson

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/parley-chat/parley/domain"
)

// DecodeMessage decodes the data of a ChatMessage or ActivityMessage,
// stored or sent by a client, without reflection, for the plain form Parley
// writes (and browsers send): the known keys in their exact spelling, each
// once, and strings without escapes. Every message of every conversation is
// decoded when projections are rebuilt, and encoding/json's reflection was
// a quarter of the transcript projection's CPU. It reports false, with a
// zero Message, for anything else (an escape, an unknown or repeated key, a
// null, white space), and the caller then uses encoding/json, so the result
// is always what encoding/json gives; TestDecodeMessageMatchesEncodingJSON
// and FuzzDecodeStoredMessage hold it to that.
func DecodeMessage(data []byte) (domain.Message, bool) {
	return decodeMessage(data, nil)
}

// decodeMessage is DecodeMessage, which also adds to places, when it is not
// nil, where each of the message's personal strings stands in data.
func decodeMessage(data []byte, places *[]Place) (domain.Message, bool) {
	var m domain.Message
	if !utf8.Valid(data) { // encoding/json would replace bad bytes
		return m, false
	}
	p := NewScanner(data)
	ok := p.Members(func(key []byte) (int, bool) {
		switch string(key) {
		case "id":
			m.ID = p.Str()
			return 0, true
		case "conversationId":
			m.ConversationID = p.Str()
			return 1, true
		case "type":
			m.Type = known(p.RawStr())
			return 2, true
		case "from":
			m.From = participant(&p, places, FromName, 0)
			return 3, true
		case "to":
			m.To = []domain.Participant{}
			p.Array(func() { m.To = append(m.To, participant(&p, places, ToName, len(m.To))) })
			return 4, true
		case "text":
			m.Text = placedStr(&p, places, Text, 0)
			return 5, true
		case "tag":
			m.Tag = p.Str()
			return 6, true
		case "refId":
			m.RefID = placedStr(&p, places, RefID, 0)
			return 7, true
		case "attachments":
			m.Attachments = []domain.Attachment{}
			p.Array(func() { m.Attachments = append(m.Attachments, attachment(&p, places, len(m.Attachments))) })
			return 8, true
		case "activityType":
			m.ActivityType = known(p.RawStr())
			return 9, true
		case "info":
			m.Info = bytes.Clone(p.Value())
			return 10, true
		case "timestamp":
			m.Timestamp = p.Str()
			return 11, true
		}
		return 0, false
	})
	if !ok || !p.Done() {
		return domain.Message{}, false
	}
	return m, true
}

func participant(p *Scanner, places *[]Place, field Field, index int) domain.Participant {
	var v domain.Participant
	p.Members(func(key []byte) (int, bool) {
		switch string(key) {
		case "id":
			v.ID = p.Str()
			return 0, true
		case "name":
			v.Name = placedStr(p, places, field, index)
			return 1, true
		case "role":
			v.Role = domain.Role(known(p.RawStr()))
			return 2, true
		}
		return 0, false
	})
	return v
}

// known returns b as a string, without allocating one when b is among the
// few values that every message repeats: message types, roles, activity
// types. A rebuild decodes a million messages.
func known(b []byte) string {
	switch string(b) {
	case domain.TypeChatMessage:
		return domain.TypeChatMessage
	case domain.TypeActivityMessage:
		return domain.TypeActivityMessage
	case string(domain.RoleCustomer):
		return string(domain.RoleCustomer)
	case string(domain.RoleAgent):
		return string(domain.RoleAgent)
	case string(domain.RoleBot):
		return string(domain.RoleBot)
	case string(domain.RoleSupervisor):
		return string(domain.RoleSupervisor)
	case string(domain.RoleSystem):
		return string(domain.RoleSystem)
	case domain.ActivityTyping:
		return domain.ActivityTyping
	case domain.ActivityParticipantJoined:
		return domain.ActivityParticipantJoined
	case domain.ActivityParticipantLeft:
		return domain.ActivityParticipantLeft
	case domain.ActivityGreetings:
		return domain.ActivityGreetings
	case domain.ActivityEndOfConversation:
		return domain.ActivityEndOfConversation
	}
	return string(b)
}

func attachment(p *Scanner, places *[]Place, index int) domain.Attachment {
	var v domain.Attachment
	p.Members(func(key []byte) (int, bool) {
		switch string(key) {
		case "type":
			v.Type = p.Str()
			return 0, true
		case "name":
			v.Name = p.Str()
			return 1, true
		case "contentUrl":
			v.ContentURL = placedStr(p, places, ContentURL, index)
			return 2, true
		case "thumbnailUrl":
			v.ThumbnailURL = placedStr(p, places, ThumbnailURL, index)
			return 3, true
		}
		return 0, false
	})
	return v
}

// AppendMessage appends m as JSON, byte for byte as json.Marshal(m) does,
// without reflection: every stored message and every message sent to a
// client is encoded, and reflection was a measurable share of the chat
// path's CPU (see ADR 13). An info not already compact goes through
// encoding/json, which compacts and checks it; that is the only way to
// fail. TestAppendMessageMatchesEncodingJSON and FuzzAppendMessage hold it
// to encoding/json.
func AppendMessage(b []byte, m *domain.Message) ([]byte, error) {
	b = slices.Grow(b, messageSize(m))
	b = append(b, `{"id":`...)
	b = AppendString(b, m.ID)
	b = append(b, `,"conversationId":`...)
	b = AppendString(b, m.ConversationID)
	b = append(b, `,"type":`...)
	b = AppendString(b, m.Type)
	b = append(b, `,"from":`...)
	b = appendParticipant(b, &m.From)
	if len(m.To) > 0 {
		b = append(b, `,"to":[`...)
		for i := range m.To {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendParticipant(b, &m.To[i])
		}
		b = append(b, ']')
	}
	b = appendOptional(b, `,"text":`, m.Text)
	b = appendOptional(b, `,"tag":`, m.Tag)
	b = appendOptional(b, `,"refId":`, m.RefID)
	if len(m.Attachments) > 0 {
		b = append(b, `,"attachments":[`...)
		for i, a := range m.Attachments {
			if i > 0 {
				b = append(b, ',')
			}
			mark := len(b)
			b = appendOptional(b, `,"type":`, a.Type)
			b = appendOptional(b, `,"name":`, a.Name)
			b = appendOptional(b, `,"contentUrl":`, a.ContentURL)
			b = appendOptional(b, `,"thumbnailUrl":`, a.ThumbnailURL)
			b = closeObject(b, mark)
		}
		b = append(b, ']')
	}
	b = appendOptional(b, `,"activityType":`, m.ActivityType)
	if len(m.Info) > 0 {
		b = append(b, `,"info":`...)
		if plainInfo(m.Info) {
			b = append(b, m.Info...)
		} else {
			info, err := json.Marshal(m.Info)
			if err != nil {
				return nil, err
			}
			b = append(b, info...)
		}
	}
	b = append(b, `,"timestamp":`...)
	b = AppendString(b, m.Timestamp)
	if m.Sequence != nil {
		b = append(b, `,"sequence":`...)
		b = strconv.AppendUint(b, *m.Sequence, 10)
	}
	return append(b, '}'), nil
}

// plainInfo reports whether info is already as encoding/json would write
// it: in the plain form (compact, no escapes) and with nothing that
// encoding/json escapes (HTML characters, U+2028, U+2029).
func plainInfo(info []byte) bool {
	p := NewScanner(info)
	p.Value()
	return p.Done() && !bytes.ContainsAny(info, "<>&\u2028\u2029")
}

// messageSize is a guess at the size of m's JSON, big enough for most
// messages (keys and punctuation take about 180 bytes, ids 36 each), so
// that encoding one needs one allocation.
func messageSize(m *domain.Message) int {
	return 384 + len(m.From.Name) + len(m.Text) + len(m.Info) + 128*(len(m.To)+len(m.Attachments))
}

func appendParticipant(b []byte, p *domain.Participant) []byte {
	b = append(b, `{"id":`...)
	b = AppendString(b, p.ID)
	b = appendOptional(b, `,"name":`, p.Name)
	b = appendOptional(b, `,"role":`, string(p.Role))
	return append(b, '}')
}

// appendOptional appends an omitempty string member: key, with its
// leading comma, then s, unless s is empty.
func appendOptional(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	return AppendString(append(b, key...), s)
}

// closeObject turns the members appended since mark, each with a leading
// comma, into an object.
func closeObject(b []byte, mark int) []byte {
	if len(b) == mark {
		return append(b, '{', '}')
	}
	b[mark] = '{'
	return append(b, '}')
}
