package ws

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas/storedjson"
)

// Event names of the websocket protocol.
const (
	EventJoinConversation  = "joinConversation"
	EventSendMessage       = "sendMessage"
	EventEndConversation   = "endConversation"
	EventMessageArrived    = "messageArrived"
	EventConversationInfo  = "conversationInfo"
	EventRegisterConnector = "registerConnector"
	EventAck               = "ack"
	EventError             = "error"
)

// frame is every websocket message, in both directions.
type frame struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data,omitempty"`
	// Ack, when a client sets it, asks for an ack or error frame carrying the
	// same value; it is echoed verbatim.
	Ack json.RawMessage `json:"ack,omitempty"`
}

// errorData is the data of an error frame.
type errorData struct {
	Code    domain.Code `json:"code"`
	Message string      `json:"message"`
	Field   string      `json:"field,omitempty"`
}

// decodeFrame parses one client frame. A frame that is not a JSON object
// with a string event, or whose ack is not a string or a number, is refused;
// the returned frame still carries whatever ack could be read.
func decodeFrame(raw []byte) (frame, error) {
	f, ok := scanFrame(raw)
	if !ok {
		f = frame{}
		if err := json.Unmarshal(raw, &f); err != nil {
			return frame{}, domain.Errorf(domain.CodeInvalid, "a frame must be a JSON object {\"event\", \"data\", \"ack\"}: %s", jsonProblem(err))
		}
	}
	if len(f.Ack) > 0 {
		switch f.Ack[0] {
		case '"', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		default:
			f.Ack = nil
			return f, domain.FieldError(domain.CodeInvalid, "ack", "ack must be a string or a number")
		}
	}
	if f.Event == "" {
		return f, domain.FieldError(domain.CodeInvalid, "event", "event is required")
	}
	if len(f.Data) == 0 || bytes.Equal(f.Data, []byte("null")) {
		f.Data = json.RawMessage("{}")
	}
	return f, nil
}

// scanFrame decodes a frame in the plain form clients send (no white space
// outside strings, no escapes, each member once, exactly spelled), without
// reflection: reflection was a measurable share of the chat path's CPU.
// Data and ack share raw's bytes. It reports false for anything else, and
// for a null data or ack, and decodeFrame then uses encoding/json, which
// gives the same frame for what this accepts (FuzzDecodeFrame holds it to
// that).
func scanFrame(raw []byte) (frame, bool) {
	var f frame
	p := storedjson.NewScanner(raw)
	p.Members(func(key []byte) (int, bool) {
		switch string(key) {
		case "event":
			// encoding/json would replace invalid UTF-8; data and ack
			// are kept as they are by both.
			ev := p.RawStr()
			f.Event = string(ev)
			return 0, utf8.Valid(ev)
		case "data":
			f.Data = p.Value()
			return 1, true
		case "ack":
			f.Ack = p.Value()
			return 2, true
		}
		return 0, false
	})
	if !p.Done() || bytes.Equal(f.Data, null) || bytes.Equal(f.Ack, null) {
		return frame{}, false
	}
	return f, true
}

var null = []byte("null")

// decodeData parses a frame's data into v, refusing what is not an object.
func decodeData(raw json.RawMessage, v any) error {
	if len(raw) == 0 || raw[0] != '{' {
		return domain.FieldError(domain.CodeInvalid, "data", "data must be a JSON object")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return domain.FieldError(domain.CodeInvalid, te.Field, "%s must be a %s", te.Field, te.Type.Kind())
		}
		return domain.Errorf(domain.CodeInvalid, "data does not parse: %s", jsonProblem(err))
	}
	return nil
}

// jsonProblem returns the part of a decoding error worth showing a client.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "invalid JSON at byte " + strconv.FormatInt(se.Offset, 10)
	}
	return err.Error()
}

// encodeFrame renders a server frame. Marshalling our own types cannot fail
// short of a bug, which is better seen as a panic in tests than hidden.
//
// The frame is written by hand around its data, with the bytes
// json.Marshal(frame{...}) gives: data encoded by json.Marshal or
// storedjson.AppendMessage is already compact and escaped as Marshal would
// leave it, and writing it in place spares the copy and the re-reading
// (to compact it) that Marshal spends on a json.RawMessage.
func encodeFrame(event string, ack json.RawMessage, data any) []byte {
	b := append(make([]byte, 0, 512+len(ack)), `{"event":`...)
	b = append(storedjson.AppendString(b, event), `,"data":`...)
	var err error
	if m, ok := data.(domain.Message); ok {
		b, err = storedjson.AppendMessage(b, &m)
	} else {
		var raw []byte
		raw, err = json.Marshal(data)
		b = append(b, raw...)
	}
	if err != nil {
		panic("ws: encode " + event + ": " + err.Error())
	}
	return closeFrame(b, ack)
}

// closeFrame ends a frame whose data has been written, with its ack.
func closeFrame(b []byte, ack []byte) []byte {
	if len(ack) > 0 {
		b = append(b, `,"ack":`...)
		// The ack is echoed as encoding/json would: a string or a number,
		// with HTML characters and line separators escaped.
		if bytes.ContainsAny(ack, "<>&\u2028\u2029") {
			var buf bytes.Buffer
			json.HTMLEscape(&buf, ack)
			ack = buf.Bytes()
		}
		b = append(b, ack...)
	}
	return append(b, '}')
}

// storedMessageFrame renders the messageArrived frame of a stored message
// from its stored data, which is the message's JSON without its sequence
// (the event's revision, seq): sequence is spliced in instead of decoding
// and encoding the message again. msg, the same message decoded, is encoded
// instead when data holds an empty value, which encoding msg would omit,
// so both ways give the same frame.
func storedMessageFrame(data []byte, seq uint64, msg domain.Message) []byte {
	return splicedFrame(EventMessageArrived, nil, data, seq, msg)
}

// storedAckFrame renders the ack of a message this connection sent from
// the data stored for it, as storedMessageFrame does its messageArrived.
func storedAckFrame(ack json.RawMessage, data []byte, seq uint64, msg domain.Message) []byte {
	return splicedFrame(EventAck, ack, data, seq, msg)
}

// splicedFrame renders the frame event of a stored message with its
// sequence spliced into its stored data, or encodes msg when data cannot
// be used as it is (spliceable); both give the bytes encodeFrame gives.
func splicedFrame(event string, ack json.RawMessage, data []byte, seq uint64, msg domain.Message) []byte {
	if !spliceable(data) {
		return encodeFrame(event, ack, msg.WithSequence(seq))
	}
	const tail = `,"sequence":18446744073709551615},"ack":}`
	b := make([]byte, 0, len(`{"event":"","data":`)+len(event)+len(data)+len(tail)+len(ack))
	b = append(b, `{"event":"`...)
	b = append(b, event...)
	b = append(b, `","data":`...)
	b = append(b, data[:len(data)-1]...)
	if len(bytes.TrimLeft(data[1:len(data)-1], jsonSpace)) > 0 {
		b = append(b, ',')
	}
	b = append(b, `"sequence":`...)
	b = strconv.AppendUint(b, seq, 10)
	return closeFrame(append(b, '}'), ack)
}

// jsonSpace is the white space JSON allows between tokens.
const jsonSpace = " \t\r\n"

// spliceable reports whether data, a stored message that its schema
// accepted, can go into a frame as it is: a JSON object with no empty
// string or empty array anywhere, since decoding and encoding would drop
// those where the field is omitempty. The schema rules out the rest of what
// decoding would change: unknown or miscased fields, null, a sequence. It
// errs towards false (an empty string or array inside info, or "[]" in a
// text, counts), which only costs an encoding.
func spliceable(data []byte) bool {
	if len(data) < 2 || data[0] != '{' || data[len(data)-1] != '}' {
		return false
	}
	for i := 0; ; i++ {
		j := bytes.Index(data[i:], []byte(`""`))
		if j < 0 {
			break
		}
		i += j
		// An escaped quote then the closing one ("say \"hi\"") is not an
		// empty string: a closing quote is never followed by a quote.
		backslashes := 0
		for k := i - 1; k >= 0 && data[k] == '\\'; k-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return false
		}
	}
	for rest := data; ; {
		i := bytes.IndexByte(rest, '[')
		if i < 0 {
			return true
		}
		rest = bytes.TrimLeft(rest[i+1:], jsonSpace)
		if len(rest) > 0 && rest[0] == ']' {
			return false
		}
	}
}

// errorFrame renders err as an error frame; errors without a code are shown
// generically.
func errorFrame(ack json.RawMessage, err error) []byte {
	d := errorData{Code: domain.ErrorCode(err), Message: domain.ErrorMessage(err)}
	var de *domain.Error
	if errors.As(err, &de) {
		d.Field = de.Field
	}
	return encodeFrame(EventError, ack, d)
}
