package diskstore

import (
	"reflect"
	"testing"
)

func TestPlanPlaceholders(t *testing.T) {
	ref := func(stream string, rev, pos uint64) RecordRef {
		return RecordRef{Stream: stream, Revision: rev, Position: pos}
	}
	span := func(before *RecordRef, after RecordRef) DamagedSpan {
		return DamagedSpan{Before: before, After: after}
	}
	a0, b0, a2, b1 := ref("a", 0, 1), ref("b", 0, 2), ref("a", 2, 5), ref("b", 1, 6)
	const lost = "lost-in-repair-x"
	tests := map[string]struct {
		given []RecordRef // intact records, in log order
		spans []DamagedSpan
		then  []Placeholder
		err   bool
	}{
		"a missing revision takes the lost position": {
			given: []RecordRef{a0, b0, a2, b1},
			spans: []DamagedSpan{span(&b0, a2), span(&a2, b1)}, // positions 3, 4 lost
			then: []Placeholder{
				{Position: 3, Stream: "a", Revision: 1, StreamKnown: true},
				{Position: 4, Stream: lost, Revision: 0},
			},
		},
		"the first record lost": {
			given: []RecordRef{ref("a", 1, 2)},
			spans: []DamagedSpan{span(nil, ref("a", 1, 2))},
			then:  []Placeholder{{Position: 1, Stream: "a", Revision: 0, StreamKnown: true}},
		},
		"two revisions of one stream keep their order": {
			given: []RecordRef{a0, ref("a", 3, 4)},
			spans: []DamagedSpan{span(&a0, ref("a", 3, 4))},
			then: []Placeholder{
				{Position: 2, Stream: "a", Revision: 1, StreamKnown: true},
				{Position: 3, Stream: "a", Revision: 2, StreamKnown: true},
			},
		},
		"a revision missing where nothing was lost": {
			given: []RecordRef{a0, ref("a", 2, 2), ref("b", 0, 4)},
			spans: []DamagedSpan{span(&RecordRef{Stream: "a", Revision: 2, Position: 2}, ref("b", 0, 4))},
			err:   true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := planPlaceholders(tc.given, tc.spans, lost)
			if tc.err {
				if err == nil {
					t.Fatalf("plan = %+v, want an error", got)
				}
				return
			}
			for i := range got {
				got[i].Span = 0
			}
			if err != nil || !reflect.DeepEqual(got, tc.then) {
				t.Fatalf("plan = %+v, %v; want %+v", got, err, tc.then)
			}
		})
	}
}
