package domain

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
)

// namespace is the UUID namespace of ids Parley derives from names.
var namespace = [16]byte{0x6b, 0x1f, 0x3c, 0x52, 0x8a, 0x0e, 0x4d, 0x8b, 0x9f, 0x21, 0x5e, 0x07, 0xc4, 0x3a, 0x90, 0x11}

// NameUUID returns the version-5 UUID of name: the same name always gives the
// same id, which makes retried requests land on the same stream.
func NameUUID(name string) string {
	h := sha1.New()
	h.Write(namespace[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return FormatUUID(u)
}

// FormatUUID renders 16 bytes as a UUID in canonical lower-case form.
func FormatUUID(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// identity is the customer identifier a start request is keyed by.
func (p PersonalData) identity() string {
	for _, id := range []string{p.RefID, p.Phone, strings.ToLower(p.Email)} {
		if id != "" {
			return id
		}
	}
	return ""
}

// RequestedConversationID returns the conversation id that cmd's request
// always yields, derived from the channel, the customer's identity and the
// request id, so that a repeated init starts one conversation. It reports
// false when cmd has no request id or names no customer identity.
func (cmd StartConversation) RequestedConversationID() (string, bool) {
	who := cmd.Personal.identity()
	if cmd.RequestID == "" || who == "" {
		return "", false
	}
	return NameUUID("init\x00" + cmd.Channel + "\x00" + who + "\x00" + cmd.RequestID), true
}

// AlreadyStartedError tells that a start request was seen before: the
// conversation it started is Started.
type AlreadyStartedError struct {
	Started ConversationStarted
}

// Error names the conversation the request started before.
func (e *AlreadyStartedError) Error() string {
	return "conversation " + e.Started.ConversationID + " was started by this request already"
}
