package esdb_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/adapters/esdb"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/test/esdbserver"
)

// bigEvents returns n events of size bytes of JSON data each.
func bigEvents(n, size int) []domain.EventData {
	evs := make([]domain.EventData, n)
	for i := range evs {
		data := []byte(`"` + strings.Repeat("x", size-2) + `"`)
		evs[i] = domain.EventData{ID: uuid.NewString(), Type: "conversation.message_posted.v1", Data: data,
			Metadata: domain.Metadata{SchemaVersion: 1, CorrelationID: uuid.NewString()}}
	}
	return evs
}

// An append the node refuses for its size is too_large, whether the client
// still had events to send (it then only sees EOF) or not (it then sees the
// node's status), and as each server version counts the size.
func TestAppendSizeRefusals(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	type given struct {
		version string
		events  []domain.EventData
	}
	// Data within the limit, but not with metadata and type counted too.
	edge := bigEvents(1, limit-20)
	cases := map[string]struct {
		given given
		want  domain.Code // "" for accepted
	}{
		"one event over the limit":             {given{esdbserver.Version24_10_0, bigEvents(1, limit+1)}, domain.CodeTooLarge},
		"cut short while sending, 24.10.0":     {given{esdbserver.Version24_10_0, bigEvents(16, limit/2)}, domain.CodeTooLarge},
		"cut short while sending, 24.10.4":     {given{esdbserver.Version24_10_4, bigEvents(16, limit/2)}, domain.CodeTooLarge},
		"cut short while sending, 25.0":        {given{esdbserver.Version25_0, bigEvents(16, limit/2)}, domain.CodeTooLarge},
		"data within the limit on 24.10.0":     {given{esdbserver.Version24_10_0, edge}, ""},
		"data and metadata over it on 24.10.4": {given{esdbserver.Version24_10_4, edge}, domain.CodeTooLarge},
		"data and metadata over it on 25.0":    {given{esdbserver.Version25_0, edge}, domain.CodeTooLarge},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := mustServer(t, esdbserver.WithServerVersion(c.given.version), esdbserver.WithMaxAppendSize(limit))
			s := mustOpen(t, srv.URL()+"&maxAppendSize=65536")
			_, err := s.Append(ctxFor(t), "big", domain.Any(), c.given.events)
			if c.want == "" && err != nil {
				t.Fatalf("append: %v, want it accepted", err)
			}
			if c.want != "" && domain.ErrorCode(err) != c.want {
				t.Fatalf("append: %v, want code %s", err, c.want)
			}
			// The node refused the append before the client had sent it all.
			if strings.HasPrefix(name, "cut short") && !errors.Is(err, io.EOF) {
				t.Fatalf("append: %v, want the client's EOF as the cause", err)
			}
		})
	}
}

// An append cut short that is within the configured limit is not a size
// error: here the node's limit is smaller than the one Parley was told,
// which looks to the adapter as a dropped connection does.
func TestAppendCutShortWithinTheLimitIsUnavailable(t *testing.T) {
	t.Parallel()
	srv := mustServer(t, esdbserver.WithMaxAppendSize(256<<10))
	s := mustOpen(t, srv.URL(), esdb.WithMaxAppendSize(64<<20))
	_, err := s.Append(ctxFor(t), "big", domain.Any(), bigEvents(32, 128<<10))
	if !errors.Is(err, domain.ErrUnavailable) || domain.ErrorCode(err) == domain.CodeTooLarge {
		t.Fatalf("append: %v, want unavailable", err)
	}
}

func TestMaxAppendSizeSetting(t *testing.T) {
	t.Parallel()
	srv := mustServer(t)
	for _, bad := range []string{"0", "-1", "lots"} {
		_, err := esdb.Open(ctxFor(t), srv.URL()+"&maxAppendSize="+bad, nil)
		if domain.ErrorCode(err) != domain.CodeInvalid {
			t.Errorf("maxAppendSize=%s: %v, want code %s", bad, err, domain.CodeInvalid)
		}
	}
	s := mustOpen(t, srv.URL()+"&MaxAppendSize=4194304")
	if _, err := s.Append(ctxFor(t), "s", domain.Any(), bigEvents(1, 10)); err != nil {
		t.Fatalf("append with the setting in the connection string: %v", err)
	}
}
