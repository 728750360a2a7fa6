package esdb_test

import (
	"os"
	"strconv"
	"testing"

	"github.com/parley-chat/parley/adapters/esdb"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/test/esdbserver"
	"github.com/parley-chat/parley/test/storecontract"
)

// contractAppendSize is the append limit both runs need. The suite's
// big-event case appends just over 1 MiB of data, and EventStoreDB's default
// limit (--max-append-size) is exactly 1 MiB.
const contractAppendSize = 4 << 20

// opened is a Store with the URL it was opened on, so it can be reopened.
type opened struct {
	*esdb.Store
	url string
}

// TestContract runs the port's contract suite against the adapter and an
// in-process server holding system events, as a real node's $all does,
// once for each server version. Every case gets its own server, hence an
// empty store.
func TestContract(t *testing.T) {
	for _, v := range esdbserver.Versions {
		t.Run(v, func(t *testing.T) {
			storecontract.Run(t, func(t *testing.T) domain.EventStore {
				srv := mustServer(t, esdbserver.WithSystemEvents(), esdbserver.WithMaxAppendSize(contractAppendSize),
					esdbserver.WithServerVersion(v))
				noRefusedPositions(t, srv)
				url := srv.URL() + "&maxAppendSize=" + strconv.Itoa(contractAppendSize)
				return opened{mustOpen(t, url), url}
			}, storecontract.Features{
				SystemStreams: true,
				Reopen: func(t *testing.T, s domain.EventStore) domain.EventStore {
					o := s.(opened)
					_ = o.Close()
					return opened{mustOpen(t, o.url), o.url}
				},
			})
		})
	}
}

// TestContractShared runs the suite as TestContractRealNode does, every case
// in a namespace of its own on one shared node, and on the test server, so
// that the scoping (each case reads after the event that opened its scope)
// is checked on every run.
func TestContractShared(t *testing.T) {
	srv := mustServer(t, esdbserver.WithSystemEvents(), esdbserver.WithMaxAppendSize(contractAppendSize))
	noRefusedPositions(t, srv)
	url := srv.URL()
	storecontract.Run(t, func(t *testing.T) domain.EventStore {
		return newScoped(t, mustOpen(t, url), url)
	}, storecontract.Features{
		SystemStreams: true,
		Reopen: func(t *testing.T, s domain.EventStore) domain.EventStore {
			return s.(*scoped).reopen(t)
		},
	})
}

// noRefusedPositions fails t, once it ends, if srv refused a read or a
// subscription of $all from inside a record: the adapter must only ever
// send the positions of events.
func noRefusedPositions(t *testing.T, srv *esdbserver.Server) {
	t.Cleanup(func() {
		if n := srv.RefusedPositions(); n != 0 {
			t.Errorf("the node refused %d positions inside a record", n)
		}
	})
}

// TestContractRealNode runs the suite against a real EventStoreDB. Cases
// share that node, so each works in a namespace of its own (see scoped).
func TestContractRealNode(t *testing.T) {
	url := os.Getenv("EVENTSTORE_URL")
	if url == "" {
		t.Skip("EVENTSTORE_URL is not set; to run the contract suite against a real EventStoreDB:\n" +
			"  docker run --rm -p 2113:2113 eventstore/eventstore:24.10 --insecure --max-append-size=4194304\n" +
			"  EVENTSTORE_URL='esdb://127.0.0.1:2113?tls=false&maxAppendSize=4194304' go tool task test:esdb")
	}
	storecontract.Run(t, func(t *testing.T) domain.EventStore {
		return newScoped(t, mustOpen(t, url), url)
	}, storecontract.Features{
		SystemStreams: true,
		Reopen: func(t *testing.T, s domain.EventStore) domain.EventStore {
			return s.(*scoped).reopen(t)
		},
	})
}
