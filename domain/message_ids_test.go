package domain

import (
	"strings"
	"testing"
)

func TestMessageIDsFindOnlyTheSameString(t *testing.T) {
	const lower = "0f8fad5b-d9cb-469f-a165-70867728950e"
	tests := []struct {
		name  string
		given []string // ids stored, at sequences 1, 2, ...
		when  string   // the id looked up
		then  Revision // 0: not found
	}{
		{name: "a canonical UUID", given: []string{lower}, when: lower, then: 1},
		{name: "among others", given: []string{FormatUUID([16]byte{1}), lower, "not-a-uuid"}, when: lower, then: 2},
		{name: "upper case is another string", given: []string{lower}, when: strings.ToUpper(lower)},
		{name: "an upper-case id finds itself", given: []string{strings.ToUpper(lower)}, when: strings.ToUpper(lower), then: 1},
		{name: "upper case does not find lower", given: []string{strings.ToUpper(lower)}, when: lower},
		{name: "any other id", given: []string{"legacy-42"}, when: "legacy-42", then: 1},
		{name: "hyphens out of place", given: []string{lower}, when: "0f8fad5bd-9cb-469f-a165-70867728950e"},
		{name: "nothing stored", when: lower},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids := newMessageIDs()
			for i, id := range tt.given {
				ids.add(id, Revision(i+1))
			}
			seq, ok := ids.Get(tt.when)
			if ok != (tt.then != 0) || seq != tt.then {
				t.Fatalf("Get(%q) = %d, %v; want %d", tt.when, seq, ok, tt.then)
			}
			if ids.Len() != len(tt.given) {
				t.Errorf("Len() = %d, want %d", ids.Len(), len(tt.given))
			}
		})
	}
}

func TestCanonicalUUIDRoundTrips(t *testing.T) {
	for _, u := range [][16]byte{{}, {0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00}} {
		got, ok := canonicalUUID(FormatUUID(u))
		if !ok || got != u {
			t.Errorf("canonicalUUID(FormatUUID(%x)) = %x, %v", u, got, ok)
		}
	}
}
