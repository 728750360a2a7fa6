package ws

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/parley-chat/parley/domain"
)

// FuzzDecodeFrame feeds arbitrary bytes to the frame decoder, then the data
// of an accepted frame to the decoder of every data type. Nothing may panic;
// every refusal is an invalid_request with a message; an accepted frame
// re-encodes to valid JSON, and so does the error frame of a refused one,
// since the server echoes the ack into it.
func FuzzDecodeFrame(f *testing.F) {
	for _, seed := range []string{
		`{"event":"joinConversation","ack":"j1","data":{"conversationId":"9b2c0e4a-1d2f-4c3b-8a9e-0f1e2d3c4b5a","id":"5e1f","name":"Ada","since":41,"token":"eyJhbGciOi.x.y"}}`,
		`{"event":"joinConversation","ack":1,"data":{"conversationId":"c","id":"agent-1","name":"Grace","role":"agent"}}`,
		`{"event":"sendMessage","ack":"m1","data":{"type":"ChatMessage","text":"Hello Ada","to":[{"id":"p"}],"tag":"whisper"}}`,
		`{"event":"sendMessage","data":{"id":"5f0c1a7e-8d6b-4c1e-9a3f-2b7d4e6f8a90","type":"ActivityMessage","activityType":"typing","info":{"n":1e400}}}`,
		`{"event":"sendMessage","data":{"type":"ChatMessage","attachments":[{"contentUrl":"data:,x"}],"from":{"id":"x","role":"supervisor"}}}`,
		`{"event":"endConversation","ack":-0.5e3,"data":{"conversationId":"c"}}`,
		`{"event":"dance","data":null}`,
		`{"event":"sendMessage","data":"text"}`,
		`{"event":"sendMessage","data":[1,2]}`,
		`{"event":"sendMessage","data":{"text":5,"to":"all"}}`,
		`{"event":"joinConversation","data":{"since":"yesterday"}}`,
		`{"event":"joinConversation","data":{"since":1e30}}`,
		`{"event":"x","ack":{"nested":true}}`,
		`{"event":"x","ack":null}`,
		`{"event":"x","ack":true}`,
		`{"event":"","ack":"a"}`,
		`{"event":5}`,
		`{"ack":"only"}`,
		`{"event":"x","event":"y","data":{},"data":{"a":1}}`,
		`{"EVENT":"sendMessage","Data":{"Text":"case"}}`,
		`{"event":"x","data":{"text":"\ud800 lone surrogate \u0000 nul"}}`,
		"{\"event\":\"x\",\"data\":{\"text\":\"\xff\xfe invalid utf-8\"}}",
		`{"event":"x"} trailing`,
		`{not json`,
		`[1,2,3]`,
		`"just a string"`,
		`null`,
		``,
		` `,
		strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
		`{"event":"x","data":` + strings.Repeat(`{"a":`, 500) + `1` + strings.Repeat(`}`, 500) + `}`,
		"{\"event\":\"sendMessage\",\"ack\":\"<b>&\u2028\u2029</b>\",\"data\":{\"type\":\"ChatMessage\",\"text\":\"<i>&\u2028</i>\"}}",
		`{"event":"x","data":null,"ack":null}`,
		`{"event":"x","data":{"a":[]},"ack":"é"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if fast, ok := scanFrame(raw); ok {
			var want frame
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatalf("scanFrame accepts %q, encoding/json refuses it: %v", raw, err)
			}
			if fast.Event != want.Event || !bytes.Equal(fast.Data, want.Data) || !bytes.Equal(fast.Ack, want.Ack) {
				t.Fatalf("%q:\nscanFrame     %+v\nencoding/json %+v", raw, fast, want)
			}
		}
		fr, err := decodeFrame(raw)
		if err != nil {
			checkRefusal(t, err)
			// The server answers with this frame, echoing the ack.
			out := errorFrame(fr.Ack, err)
			if !json.Valid(out) {
				t.Fatalf("error frame is not JSON: %s", out)
			}
			var de *domain.Error
			errors.As(err, &de)
			if want := marshalFrame(t, EventError, fr.Ack, errorData{Code: domain.ErrorCode(err), Message: domain.ErrorMessage(err), Field: de.Field}); !bytes.Equal(out, want) {
				t.Fatalf("%q:\nerrorFrame    %s\nencoding/json %s", raw, out, want)
			}
			return
		}
		if fr.Event == "" || len(fr.Data) == 0 {
			t.Fatalf("accepted a frame without event or data: %+v", fr)
		}
		out, err := json.Marshal(fr)
		if err != nil || !json.Valid(out) {
			t.Fatalf("accepted frame does not re-encode: %v\n%s", err, out)
		}
		for _, v := range []any{&joinData{}, &domain.Message{}, &endData{}} {
			if err := decodeData(fr.Data, v); err != nil {
				checkRefusal(t, err)
				continue
			}
			if b := encodeFrame(EventAck, fr.Ack, v); !json.Valid(b) {
				t.Fatalf("decoded %T does not re-encode: %s", v, b)
			}
			// Frames, and messages, are written without reflection: the
			// bytes must be encoding/json's all the same.
			if m, ok := v.(*domain.Message); ok {
				v = *m
			}
			if got, want := encodeFrame(EventAck, fr.Ack, v), marshalFrame(t, EventAck, fr.Ack, v); !bytes.Equal(got, want) {
				t.Fatalf("%q:\nencodeFrame   %s\nencoding/json %s", raw, got, want)
			}
		}
	})
}

// marshalFrame is a frame as encoding/json writes it.
func marshalFrame(t *testing.T, event string, ack json.RawMessage, data any) []byte {
	t.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(frame{Event: event, Data: raw, Ack: ack})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkRefusal(t *testing.T, err error) {
	t.Helper()
	if code := domain.ErrorCode(err); code != domain.CodeInvalid {
		t.Fatalf("refused with code %s, want %s: %v", code, domain.CodeInvalid, err)
	}
	if domain.ErrorMessage(err) == "" {
		t.Fatalf("refused without a message: %v", err)
	}
}
