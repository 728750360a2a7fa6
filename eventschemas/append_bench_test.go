package eventschemas_test

import (
	"testing"

	"github.com/parley-chat/parley/domain"
)

// BenchmarkAppendCheck measures the schema check an append pays for one
// ChatMessage as the domain writes it, through the compiled fast path
// (Validate) and through the reference validator alone: the numbers behind
// keeping the compiled checks once reads stopped checking (ADR 32).
func BenchmarkAppendCheck(b *testing.B) {
	e := firstOf(b, domain.EventChatMessage, "")
	for name, check := range map[string]func() error{
		"compiled":  func() error { return reg.Validate(e.Type, e.Metadata.SchemaVersion, e.Data) },
		"reference": func() error { return reg.ReferenceValid(e.Type, e.Metadata.SchemaVersion, e.Data) },
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(e.Data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := check(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
