package storedjson

import (
	"reflect"
	"testing"

	"github.com/parley-chat/parley/domain"
)

// Given the messages the fast path takes, DecodeMessagePlaces decodes what
// DecodeMessage does, and each place it gives holds, quoted, the value it
// names; every name, text, refId and attachment URL that is set has one.
func TestDecodeMessagePlaces(t *testing.T) {
	for _, data := range storedMessages {
		want, ok := DecodeMessage([]byte(data))
		got, places, gotOK := DecodeMessagePlaces([]byte(data), nil)
		if ok != gotOK {
			t.Fatalf("%s: DecodeMessagePlaces takes it %v, DecodeMessage %v", data, gotOK, ok)
		}
		if !ok {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: decodes\n%#v\nwant\n%#v", data, got, want)
		}
		for _, pl := range places {
			if v := *pl.In(&got); data[pl.Start:pl.End] != `"`+v+`"` {
				t.Errorf("%s: place %+v holds %s, not %q", data, pl, data[pl.Start:pl.End], v)
			}
		}
		if n, set := len(places), personalStrings(&got); n != set {
			t.Errorf("%s: %d places for %d values set", data, n, set)
		}
	}
}

func personalStrings(m *domain.Message) int {
	n := 0
	count := func(vs ...string) {
		for _, v := range vs {
			if v != "" {
				n++
			}
		}
	}
	count(m.From.Name, m.Text, m.RefID)
	for _, p := range m.To {
		count(p.Name)
	}
	for _, a := range m.Attachments {
		count(a.ContentURL, a.ThumbnailURL)
	}
	return n
}
