package loadgen

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// epoch is the origin of every time stamp carried in messages. Senders and
// receivers live in this process, so monotonic offsets from it are exact
// and immune to clock steps.
var epoch = time.Now()

// now returns nanoseconds since epoch; always positive.
func now() int64 { return int64(time.Since(epoch)) + 1 }

// Message time stamps travel in the message's info, which Parley stores and
// delivers verbatim: {"t": scheduled send time} for a measured message, {"u":
// ...} for one sent during warm-up. The sender decides once, so that what it
// counts as expected and what receivers record can never disagree.
var (
	measuredKey   = []byte(`"info":{"t":`)
	unmeasuredKey = []byte(`"info":{"u":`)
	ackKey        = []byte(`"ack":`)
	codeKey       = []byte(`"code":"`)
	eventPrefix   = []byte(`{"event":"`)
)

// sendFrame appends a sendMessage frame to buf. The ack is the actual send
// time, so the ack's latency needs no bookkeeping; stamp is the scheduled
// send time that arrival latency is measured from.
func sendFrame(buf []byte, text string, ack, stamp int64, measured bool) []byte {
	buf = append(buf, `{"event":"sendMessage","ack":`...)
	buf = strconv.AppendInt(buf, ack, 10)
	buf = append(buf, `,"data":{"type":"ChatMessage","text":"`...)
	buf = append(buf, text...)
	buf = append(buf, `",`...)
	if measured {
		buf = append(buf, measuredKey...)
	} else {
		buf = append(buf, unmeasuredKey...)
	}
	buf = strconv.AppendInt(buf, stamp, 10)
	return append(buf, "}}}"...)
}

// messageText returns a text of n bytes that needs no JSON escaping.
func messageText(n int) string {
	const alphabet = "Hello, how can I help you today? "
	return strings.Repeat(alphabet, n/len(alphabet)+1)[:n]
}

// frameKind is what a received frame means to the load generator.
type frameKind uint8

const (
	kindOther   frameKind = iota // conversationInfo, activities, ...
	kindArrived                  // a bench message delivered to another participant
	kindAck                      // the ack of a bench message
	kindError                    // the error answer to a bench message
	kindControl                  // an answer to a setup frame (string ack)
)

// received is a parsed frame.
type received struct {
	kind frameKind
	// stamp is the message's scheduled send time (arrivals, acks of
	// measured messages: measured is then true) and sent the ack's actual
	// send time (acks, errors).
	stamp, sent int64
	measured    bool
	code        string // of an error
}

// parseFrame reads what the load generator needs from a server frame
// without decoding it all: it runs on the same cores as the server, and
// every microsecond it spends is one the server does not get. It relies on
// the key order of the frames Parley (and the echo server) write:
// {"event", "data", "ack"}. A key can be found by a byte search because JSON
// escapes every quote inside a string.
func parseFrame(b []byte) received {
	if !bytes.HasPrefix(b, eventPrefix) {
		return received{}
	}
	rest := b[len(eventPrefix):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return received{}
	}
	var r received
	switch string(rest[:end]) {
	case "messageArrived":
		r.kind = kindArrived
	case "ack":
		r.kind = kindAck
	case "error":
		r.kind = kindError
	default:
		return received{}
	}
	if i := bytes.Index(b, measuredKey); i >= 0 {
		r.stamp, r.measured = readInt(b[i+len(measuredKey):]), true
	} else if i := bytes.Index(b, unmeasuredKey); i >= 0 {
		r.stamp = readInt(b[i+len(unmeasuredKey):])
	} else if r.kind == kindArrived {
		return received{} // a participantJoined, greetings, ...: not ours
	}
	if r.kind == kindArrived {
		return r
	}
	i := bytes.LastIndex(b, ackKey)
	if i < 0 {
		return received{kind: kindOther}
	}
	a := b[i+len(ackKey):]
	if len(a) > 0 && a[0] == '"' {
		return received{kind: kindControl}
	}
	r.sent = readInt(a)
	if r.kind == kindError {
		if j := bytes.Index(b, codeKey); j >= 0 {
			c := b[j+len(codeKey):]
			if k := bytes.IndexByte(c, '"'); k >= 0 {
				r.code = string(c[:k])
			}
		}
	}
	return r
}

// readInt parses the decimal digits at the start of b.
func readInt(b []byte) int64 {
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	return n
}
