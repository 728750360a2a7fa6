package esdb_test

import (
	"testing"

	"github.com/parley-chat/parley/adapters/esdb"
	"github.com/parley-chat/parley/test/storecontract"
)

// scoped is a storecontract.Scope on a node shared by every contract case,
// with what it takes to open the store again.
type scoped struct {
	*storecontract.Scope
	url string
}

func newScoped(t *testing.T, inner *esdb.Store, url string) *scoped {
	t.Helper()
	return &scoped{storecontract.NewScope(t, inner), url}
}

func (s *scoped) reopen(t *testing.T) *scoped {
	_ = s.Inner().Close()
	return &scoped{s.On(mustOpen(t, s.url)), s.url}
}
