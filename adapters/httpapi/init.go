package httpapi

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/language"

	"github.com/parley-chat/parley/domain"
)

// initFields are the fields POST /api/customer/init accepts, by their
// lower-cased name: the document's field names are matched
// case-insensitively, and its spelling "reqestId" is accepted too.
var initFields = map[string]string{
	"firstname": "firstName", "lastname": "lastName", "email": "email", "phone": "phone",
	"channel": "channel", "language": "language", "refid": "refId", "url": "url",
	"comment": "comment", "subject": "subject", "requestid": "requestId", "reqestid": "requestId",
	"timestamp": "timestamp",
}

// initResponse is the answer to POST /api/customer/init.
type initResponse struct {
	ConversationID string             `json:"conversationId"`
	Participant    domain.Participant `json:"participant"`
	RequestID      string             `json:"requestId,omitempty"`
	Timestamp      string             `json:"timestamp"`
	// Token lets the customer join this conversation, and only it; absent
	// when authentication is off.
	Token string `json:"token,omitempty"`
}

func (s *Server) initConversation(c echo.Context) error {
	body, err := s.readJSONBody(c)
	if err != nil {
		return err
	}
	fields, extra, err := decodeInit(body)
	if err != nil {
		return err
	}
	if tag := fields["language"]; tag != "" {
		if _, err := language.Parse(tag); err != nil {
			return domain.FieldError(domain.CodeInvalid, "language", "language must be a BCP 47 tag such as en, pt-BR or zh-Hant, not %q", domain.Clip(tag))
		}
	}
	channel := fields["channel"]
	if channel == "" {
		return domain.FieldError(domain.CodeInvalid, "channel", "channel is required")
	}
	if !s.cfg.KnownChannel(channel) {
		return domain.FieldError(domain.CodeUnknownChannel, "channel", "channel %q is not known: use web, fb, sms, twitter or a channel with a registered connector", channel)
	}
	// Running conversations may use what space is left; new ones wait.
	if err := s.lowSpace(); err != nil {
		return err
	}
	cmd := domain.StartConversation{
		Channel:         channel,
		Language:        fields["language"],
		Subject:         fields["subject"],
		URL:             fields["url"],
		Comment:         fields["comment"],
		RequestID:       fields["requestId"],
		ClientTimestamp: fields["timestamp"],
		Personal: domain.PersonalData{
			FirstName: fields["firstName"], LastName: fields["lastName"],
			Email: fields["email"], Phone: fields["phone"], RefID: fields["refId"],
		},
		Fields: extra,
	}
	// The customer starts the conversation, as the participant id chosen
	// here; a key that calls init on a customer's behalf is named instead.
	cmd.CustomerID = s.newID()
	meta := s.metadata(c)
	if meta.Actor.IsZero() {
		meta.Actor = domain.Actor{Kind: domain.ActorCustomer, ID: cmd.CustomerID}
	}
	started, err := s.svc.Start(c.Request().Context(), cmd, meta)
	if err != nil {
		return err
	}
	s.enqueue(c.Request().Context(), started)
	token, err := s.cfg.Credentials.IssueCustomerToken(started.ConversationID, started.Customer.ParticipantID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, initResponse{
		ConversationID: started.ConversationID,
		Participant:    domain.Participant{ID: started.Customer.ParticipantID, Name: started.Customer.Personal.DisplayName()},
		RequestID:      started.RequestID,
		Timestamp:      started.Timestamp,
		Token:          token,
	})
}

// decodeInit reads the init body into canonical field names, and the
// fields Parley does not know, which the document lets developers define,
// in the order of their names: at most domain.MaxFields of them, each a
// string, number or boolean of at most domain.MaxFieldBytes. Known fields
// must be strings (numbers are taken as written, for phone numbers).
func decodeInit(body []byte) (map[string]string, []domain.Field, error) {
	var raw map[string]json.RawMessage
	if err := decodeJSON(body, &raw, false); err != nil || raw == nil {
		return nil, nil, domain.Errorf(domain.CodeInvalid, "the body must be one JSON object, with nothing after it")
	}
	out := map[string]string{}
	var extra []domain.Field
	for _, key := range slices.Sorted(maps.Keys(raw)) {
		val := raw[key]
		name, ok := initFields[strings.ToLower(key)]
		if !ok {
			f, err := extraField(key, val)
			if err != nil {
				return nil, nil, err
			}
			if f != nil {
				extra = append(extra, *f)
			}
			continue
		}
		val = bytes.TrimSpace(val)
		var str string
		switch {
		case bytes.Equal(val, []byte("null")):
			continue
		case len(val) > 0 && val[0] == '"':
			if err := json.Unmarshal(val, &str); err != nil {
				return nil, nil, domain.FieldError(domain.CodeInvalid, name, "%s must be a string", name)
			}
		case len(val) > 0 && (val[0] == '-' || val[0] >= '0' && val[0] <= '9'):
			str = string(val)
		default:
			return nil, nil, domain.FieldError(domain.CodeInvalid, name, "%s must be a string", name)
		}
		if len(str) > 1000 {
			return nil, nil, domain.FieldError(domain.CodeInvalid, name, "%s is longer than 1000 bytes", name)
		}
		str = strings.TrimSpace(str)
		// Spellings of one field ("email", "EMAIL", "reqestId") arrive in
		// map order: taking whichever came last would make a retry of the
		// same body start another conversation.
		if prev, dup := out[name]; dup && prev != str {
			return nil, nil, domain.FieldError(domain.CodeInvalid, name, "%s is given twice, with different values", name)
		}
		out[name] = str
	}
	if len(extra) > domain.MaxFields {
		f := extra[domain.MaxFields].Name
		return nil, nil, domain.FieldError(domain.CodeInvalid, f, "at most %d fields that Parley does not know are kept; %s is one more", domain.MaxFields, f)
	}
	return out, extra, nil
}

// extraField reads a field Parley does not know: a string, number or
// boolean as written; null is left out.
func extraField(key string, val json.RawMessage) (*domain.Field, error) {
	name := domain.Clip(key)
	if len(key) > domain.MaxFieldNameBytes || domain.ControlIndex(key) >= 0 {
		return nil, domain.FieldError(domain.CodeInvalid, name, "a field name must be at most %d bytes without control characters", domain.MaxFieldNameBytes)
	}
	val = bytes.TrimSpace(val)
	var str string
	switch {
	case bytes.Equal(val, []byte("null")):
		return nil, nil
	case len(val) > 0 && val[0] == '"':
		if err := json.Unmarshal(val, &str); err != nil {
			return nil, domain.FieldError(domain.CodeInvalid, name, "%s must be a string, a number or a boolean", name)
		}
	case len(val) > 0 && val[0] != '{' && val[0] != '[':
		str = string(val)
	default:
		return nil, domain.FieldError(domain.CodeInvalid, name, "%s must be a string, a number or a boolean", name)
	}
	if len(str) > domain.MaxFieldBytes {
		return nil, domain.FieldError(domain.CodeInvalid, name, "%s is longer than %d bytes", name, domain.MaxFieldBytes)
	}
	// Staff read these values in the console and the conversation views,
	// like a name: the same characters are refused.
	if i := domain.ControlIndex(str); i >= 0 {
		return nil, domain.FieldError(domain.CodeInvalid, name, "%s holds a control character at byte %d; only tab, carriage return and line feed are allowed", name, i)
	}
	return &domain.Field{Name: key, Value: str}, nil
}

// metadata returns the event metadata of a REST request: its correlation id
// is the client's X-Request-ID when it sent one.
func (s *Server) metadata(c echo.Context) domain.Metadata {
	id := c.Request().Header.Get(echo.HeaderXRequestID)
	if id == "" || len(id) > 200 {
		id = s.newID()
	}
	return domain.Metadata{CorrelationID: id, CausationID: id, Actor: domain.ActorOf(principalOf(c), domain.Participant{})}
}
