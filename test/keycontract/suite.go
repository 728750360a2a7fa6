// Package keycontract is the contract suite of domain.PersonalDataKeys:
// every key store runs it, from a test of its own package, with a factory
// for fresh stores.
package keycontract

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/parley-chat/parley/domain"
)

// Features says what a key store can do beyond the contract.
type Features struct {
	// Reopen, when set, closes the store and opens the same one again: the
	// suite then checks that keys and erasures outlive a restart.
	Reopen func(t *testing.T, k domain.PersonalDataKeys) domain.PersonalDataKeys
}

// Run runs the suite against stores that open returns; each test case gets
// a fresh one and closes it.
func Run(t *testing.T, open func(t *testing.T) domain.PersonalDataKeys, f Features) {
	cases := map[string]func(t *testing.T, k domain.PersonalDataKeys){
		"create makes a 32-byte key, and creating again returns it": testCreateTwice,
		"get returns the created key":                               testGet,
		"an unknown id is customer_not_found to get and destroy":    testUnknown,
		"destroy erases, and again is no error":                     testDestroy,
		"an erased id gets no new key":                              testCreateAfterDestroy,
		"keys of different ids differ":                              testDistinct,
		"concurrent creates of one id agree":                        testConcurrentCreate,
		"an imported key is the id's key, once":                     testImport,
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			k := open(t)
			t.Cleanup(func() { _ = k.Close() })
			tc(t, k)
		})
	}
	if f.Reopen != nil {
		t.Run("keys and erasures outlive a restart", func(t *testing.T) {
			testReopen(t, open(t), f.Reopen)
		})
	}
}

const idA, idB = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"

func mustCreate(t *testing.T, k domain.PersonalDataKeys, id string) []byte {
	t.Helper()
	key, err := k.Create(context.Background(), id)
	if err != nil {
		t.Fatalf("Create(%s): %v", id, err)
	}
	if len(key) != 32 {
		t.Fatalf("Create(%s) made a key of %d bytes, want 32", id, len(key))
	}
	return append([]byte(nil), key...)
}

func mustDestroy(t *testing.T, k domain.PersonalDataKeys, id string) {
	t.Helper()
	if err := k.Destroy(context.Background(), id); err != nil {
		t.Fatalf("Destroy(%s): %v", id, err)
	}
}

func wantErased(t *testing.T, k domain.PersonalDataKeys, id string) {
	t.Helper()
	key, erased, err := k.Get(context.Background(), id)
	if err != nil || !erased || key != nil {
		t.Fatalf("Get(%s) after Destroy = %x, %v, %v; want nil, erased, no error", id, key, erased, err)
	}
}

func testCreateTwice(t *testing.T, k domain.PersonalDataKeys) {
	first := mustCreate(t, k, idA)
	if again := mustCreate(t, k, idA); !bytes.Equal(first, again) {
		t.Fatal("a second Create returned another key")
	}
	if bytes.Equal(first, make([]byte, 32)) {
		t.Fatal("the key is all zeros")
	}
}

func testGet(t *testing.T, k domain.PersonalDataKeys) {
	key := mustCreate(t, k, idA)
	got, erased, err := k.Get(context.Background(), idA)
	if err != nil || erased || !bytes.Equal(got, key) {
		t.Fatalf("Get = %x, %v, %v; want the created key %x", got, erased, err, key)
	}
}

func testUnknown(t *testing.T, k domain.PersonalDataKeys) {
	if _, _, err := k.Get(context.Background(), idB); domain.ErrorCode(err) != domain.CodeCustomerNotFound {
		t.Errorf("Get of an unknown id: %v, want code %s", err, domain.CodeCustomerNotFound)
	}
	if err := k.Destroy(context.Background(), idB); domain.ErrorCode(err) != domain.CodeCustomerNotFound {
		t.Errorf("Destroy of an unknown id: %v, want code %s", err, domain.CodeCustomerNotFound)
	}
}

func testDestroy(t *testing.T, k domain.PersonalDataKeys) {
	mustCreate(t, k, idA)
	mustCreate(t, k, idB)
	mustDestroy(t, k, idA)
	wantErased(t, k, idA)
	mustDestroy(t, k, idA)
	wantErased(t, k, idA)
	if _, erased, err := k.Get(context.Background(), idB); err != nil || erased {
		t.Fatalf("destroying %s touched %s: %v, erased %v", idA, idB, err, erased)
	}
}

func testCreateAfterDestroy(t *testing.T, k domain.PersonalDataKeys) {
	mustCreate(t, k, idA)
	mustDestroy(t, k, idA)
	if key, err := k.Create(context.Background(), idA); domain.ErrorCode(err) != domain.CodeErased {
		t.Fatalf("Create after Destroy = %x, %v; want code %s", key, err, domain.CodeErased)
	}
}

func testDistinct(t *testing.T, k domain.PersonalDataKeys) {
	if bytes.Equal(mustCreate(t, k, idA), mustCreate(t, k, idB)) {
		t.Fatal("two ids got the same key")
	}
}

func testConcurrentCreate(t *testing.T, k domain.PersonalDataKeys) {
	const n = 8
	keys := make(chan []byte, n)
	errs := make(chan error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			key, err := k.Create(context.Background(), idA)
			keys <- key
			errs <- err
		}()
	}
	start.Done()
	done.Wait()
	close(keys)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	first := <-keys
	for key := range keys {
		if !bytes.Equal(key, first) {
			t.Fatal("concurrent Creates of one id returned different keys")
		}
	}
}

func testImport(t *testing.T, k domain.PersonalDataKeys) {
	imp, ok := k.(domain.PersonalDataKeyImporter)
	if !ok {
		t.Skip("the store imports no keys") // both of Parley's do
	}
	ctx := context.Background()
	key := bytes.Repeat([]byte{9}, 32)
	if err := imp.Import(ctx, idA, key); err != nil {
		t.Fatal(err)
	}
	if err := imp.Import(ctx, idA, key); err != nil {
		t.Fatalf("importing the same key again: %v", err)
	}
	if got := mustCreate(t, k, idA); !bytes.Equal(got, key) {
		t.Fatal("Create after Import returned another key")
	}
	if err := imp.Import(ctx, idA, bytes.Repeat([]byte{8}, 32)); domain.ErrorCode(err) != domain.CodeConflict {
		t.Fatalf("importing another key under the id: %v, want code %s", err, domain.CodeConflict)
	}
	mustDestroy(t, k, idA)
	if err := imp.Import(ctx, idA, key); domain.ErrorCode(err) != domain.CodeErased {
		t.Fatalf("importing an erased id: %v, want code %s", err, domain.CodeErased)
	}
}

func testReopen(t *testing.T, k domain.PersonalDataKeys, reopen func(*testing.T, domain.PersonalDataKeys) domain.PersonalDataKeys) {
	a := mustCreate(t, k, idA)
	mustCreate(t, k, idB)
	mustDestroy(t, k, idB)
	k = reopen(t, k)
	t.Cleanup(func() { _ = k.Close() })
	got, erased, err := k.Get(context.Background(), idA)
	if err != nil || erased || !bytes.Equal(got, a) {
		t.Fatalf("after a restart Get(%s) = %x, %v, %v; want %x", idA, got, erased, err, a)
	}
	wantErased(t, k, idB)
}
