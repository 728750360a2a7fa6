package esdb_test

import (
	"context"
	"testing"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/test/keycontract"
)

// TestKeysContract runs the key stores' contract suite against key streams
// on the in-process server; a reopen opens a new client on the same server.
func TestKeysContract(t *testing.T) {
	urls := map[domain.PersonalDataKeys]string{}
	keycontract.Run(t, func(t *testing.T) domain.PersonalDataKeys {
		srv := mustServer(t)
		k := mustOpen(t, srv.URL()).Keys()
		urls[k] = srv.URL()
		return k
	}, keycontract.Features{Reopen: func(t *testing.T, k domain.PersonalDataKeys) domain.PersonalDataKeys {
		return mustOpen(t, urls[k]).Keys()
	}})
}

// Given a key, when it is destroyed, then its stream is tombstoned on the
// node and the key is no longer in reads of all streams (it never was:
// key streams are system streams).
func TestDestroyTombstonesTheKeyStream(t *testing.T) {
	srv := mustServer(t)
	s := mustOpen(t, srv.URL())
	ctx := context.Background()
	const id = "0123456789abcdef0123456789abcdef"
	if _, err := s.Keys().Create(ctx, id); err != nil {
		t.Fatal(err)
	}
	all, err := s.ReadAll(ctx, 0, 100)
	if err != nil || len(all) != 0 {
		t.Fatalf("ReadAll shows %d events (%v); a key stream must not show", len(all), err)
	}
	if err := s.Keys().Destroy(ctx, id); err != nil {
		t.Fatal(err)
	}
	if !srv.Tombstoned("$personaldata-key-" + id) {
		t.Fatal("the key stream is not tombstoned")
	}
}
