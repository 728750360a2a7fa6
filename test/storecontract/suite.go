// Package storecontract is the contract suite of domain.EventStore. Every
// store adapter runs it from its own tests, so that they all keep the
// promises written on the port, in the same words:
//
//	func TestStore(t *testing.T) {
//		storecontract.Run(t, openStore, storecontract.Features{ContiguousPositions: true})
//	}
package storecontract

import (
	"testing"

	"github.com/parley-chat/parley/domain"
)

// Factory returns a new, empty store for one test case and registers its
// cleanup (closing it, removing its data) with t.Cleanup. Cases run in
// parallel, each on its own store.
type Factory func(t *testing.T) domain.EventStore

// Features declares what an implementation guarantees or supports beyond the
// port, so that the suite checks it instead of skipping by type.
type Features struct {
	// ContiguousPositions: positions are 1, 2, 3, … in commit order, with no
	// gaps (the disk store). EventStoreDB's log positions are not.
	ContiguousPositions bool

	// SystemStreams: the store accepts appends to streams and of event types
	// whose names start with '$', so the suite can check that ReadAll and
	// SubscribeToAll skip them.
	SystemStreams bool

	// Reopen, when set, closes s and returns a store opened over the same
	// data, registering its cleanup with t.Cleanup; the durability cases run
	// only then. Closing s twice (here and in its cleanup) must be harmless.
	Reopen func(t *testing.T, s domain.EventStore) domain.EventStore
}

// testCase is one named promise of the port.
type testCase struct {
	name string
	run  func(t *testing.T, e env)
}

// env is what every case gets: a way to open stores and the features.
type env struct {
	open Factory
	f    Features
}

// Run runs the whole suite against the stores open returns.
func Run(t *testing.T, open Factory, f Features) {
	t.Helper()
	e := env{open: open, f: f}
	groups := []struct {
		name  string
		cases []testCase
	}{
		{"Append", appendCases},
		{"ExpectedRevision", expectedCases},
		{"Idempotency", idempotencyCases},
		{"Read", readCases},
		{"Concurrency", concurrencyCases},
		{"SubscribeToStream", streamSubscriptionCases},
		{"SubscribeToAll", allSubscriptionCases},
		{"Subscription", subscriptionCases},
		{"Durability", durabilityCases},
		{"History", historyCases},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, e)
				})
			}
		})
	}
}
