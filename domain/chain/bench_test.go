package chain_test

import (
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/chain"
	"github.com/parley-chat/parley/test/tmpfs"
)

// chatData is a ChatMessage of the size the chat benchmark sends.
var chatData = []byte(`{"id":"0b5c3a7f-2d4e-4b9a-861c-2d8f3e5b7a10","type":"ChatMessage","conversationId":"6f1c2c1e-3f0a-4d9e-9a51-3c2b6d7e8f90",` +
	`"from":{"id":"agent-1","name":"Grace","role":"agent"},"text":"0123456789012345678901234567890123456789012345678901234567890123",` +
	`"timestamp":"2026-12-04T10:00:00.123Z","sequence":12}`)

// BenchmarkHash is the CPU the chain adds to each event appended: the
// canonical form and its SHA-256.
func BenchmarkHash(b *testing.B) {
	e := golden
	e.Data = chatData
	b.SetBytes(int64(len(chatData)))
	b.ReportAllocs()
	for b.Loop() {
		chain.Hash(chain.Genesis, e)
	}
}

// BenchmarkAppend appends one ChatMessage at a time to 100 streams in turn
// on the embedded store, plain and through the chain with a warm head cache
// and with a cache too small to hold any stream (a read of the previous
// event for every append). The store is on a tmpfs, where an fsync costs
// next to nothing, so that the difference is the chain's own work.
func BenchmarkAppend(b *testing.B) {
	for _, tc := range []struct {
		name  string
		chain func(domain.EventStore) domain.EventStore
	}{
		{"plain", func(s domain.EventStore) domain.EventStore { return s }},
		{"chained", func(s domain.EventStore) domain.EventStore { return chain.New(s, chain.Options{}) }},
		{"chained-cold", func(s domain.EventStore) domain.EventStore { return chain.New(s, chain.Options{Heads: 1}) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			inner, err := diskstore.Open(tmpfs.Mount(b, "512m"), diskstore.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			defer inner.Close()
			s := tc.chain(inner)
			ctx := ctxFor(b)
			next := make([]int, 100)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				stream := i % len(next)
				exp := domain.NoStream()
				if next[stream] > 0 {
					exp = domain.Exact(domain.Revision(next[stream] - 1))
				}
				e := newEvents(1)
				e[0].Data = chatData
				if _, err := s.Append(ctx, fmt.Sprintf("conversation-%d", stream), exp, e); err != nil {
					b.Fatal(err)
				}
				next[stream]++
				i++
			}
		})
	}
}
