package esdbserver_test

import (
	"context"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/parley-chat/parley/test/esdbserver"
)

// The client's tombstone cases, written anew from what they assert.
func init() {
	conformanceCases = append(conformanceCases,
		conformanceCase{"canTombstoneStream", func(t *testing.T, _ *esdbserver.Server, c *esdb.Client) {
			stream := uuid.NewString()
			mustAppend(t, c, stream, esdb.Any{}, binaryEvent())
			res, err := c.TombstoneStream(context.Background(), stream, esdb.TombstoneStreamOptions{ExpectedRevision: esdb.Revision(0)})
			if err != nil {
				t.Fatal(err)
			}
			if res.Position.Commit == 0 || res.Position.Prepare == 0 {
				t.Errorf("tombstone position %+v, want both parts above 0", res.Position)
			}
			if _, err := c.AppendToStream(context.Background(), stream, esdb.AppendToStreamOptions{}, binaryEvent()); err == nil {
				t.Error("an append to a tombstoned stream succeeded")
			}
		}, false},
		conformanceCase{"detectStreamDeleted", func(t *testing.T, _ *esdbserver.Server, c *esdb.Client) {
			stream := uuid.NewString()
			mustAppend(t, c, stream, esdb.Any{}, binaryEvent())
			if _, err := c.TombstoneStream(context.Background(), stream, esdb.TombstoneStreamOptions{}); err != nil {
				t.Fatal(err)
			}
			rs, err := c.ReadStream(context.Background(), stream, esdb.ReadStreamOptions{}, 1)
			if err != nil {
				t.Fatal(err)
			}
			defer rs.Close()
			ev, err := rs.Recv()
			if e, ok := esdb.FromError(err); ev != nil || ok || e.Code() != esdb.ErrorCodeStreamDeleted {
				t.Fatalf("read of a tombstoned stream: %v, %v; want ErrorCodeStreamDeleted", ev, err)
			}
		}, false},
	)
}
