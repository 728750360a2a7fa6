package projections

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// The primitives of the routing board's binary snapshot (see RoutingState).

// noTime encodes the zero time, whose Unix nanoseconds do not exist.
const noTime = math.MinInt64

type boardWriter struct{ b []byte }

func (w *boardWriter) uint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *boardWriter) int(v int64)   { w.b = binary.AppendVarint(w.b, v) }
func (w *boardWriter) str(s string)  { w.uint(uint64(len(s))); w.b = append(w.b, s...) }
func (w *boardWriter) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}
func (w *boardWriter) time(t time.Time) {
	if t.IsZero() {
		w.int(noTime)
		return
	}
	w.int(t.UnixNano())
}

// boardReader decodes what boardWriter wrote; the first error sticks and
// every later read returns a zero value.
type boardReader struct {
	b   []byte
	err error
	// names interns the strings many entries share (queues, agents,
	// subjects, channels), so a restored board holds each once.
	names map[string]string
}

func (r *boardReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("bad %s", what)
	}
	r.b = nil
}

func (r *boardReader) uint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *boardReader) int() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length no longer than the bytes left could hold.
func (r *boardReader) count() int {
	v := r.uint()
	if v > uint64(len(r.b))+1 {
		r.fail("count")
		return 0
	}
	return int(v)
}

func (r *boardReader) bytes() []byte {
	n := r.uint()
	if n > uint64(len(r.b)) {
		r.fail("string")
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

func (r *boardReader) str() string { return string(r.bytes()) }

func (r *boardReader) name() string {
	s := r.bytes()
	if len(s) == 0 {
		return ""
	}
	if v, ok := r.names[string(s)]; ok {
		return v
	}
	v := string(s)
	r.names[v] = v
	return v
}

func (r *boardReader) bool() bool {
	if len(r.b) == 0 || r.b[0] > 1 {
		r.fail("flag")
		return false
	}
	v := r.b[0] == 1
	r.b = r.b[1:]
	return v
}

func (r *boardReader) time() time.Time {
	v := r.int()
	if v == noTime || r.err != nil {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}
