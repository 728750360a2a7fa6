package keyfile_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/parley-chat/parley/adapters/keyfile"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/test/keycontract"
)

func mustOpen(t *testing.T, path string) *keyfile.File {
	t.Helper()
	k, err := keyfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestContract(t *testing.T) {
	paths := map[domain.PersonalDataKeys]string{}
	keycontract.Run(t, func(t *testing.T) domain.PersonalDataKeys {
		path := filepath.Join(t.TempDir(), keyfile.Name)
		k := mustOpen(t, path)
		paths[k] = path
		return k
	}, keycontract.Features{Reopen: func(t *testing.T, k domain.PersonalDataKeys) domain.PersonalDataKeys {
		if err := k.Close(); err != nil {
			t.Fatal(err)
		}
		return mustOpen(t, paths[k])
	}})
}

const idA, idB = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"

// Given two keys, when one is destroyed, then its bytes are nowhere in the
// file while the other's still are.
func TestDestroyOverwritesTheKeyInTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), keyfile.Name)
	k := mustOpen(t, path)
	defer k.Close()
	ctx := context.Background()
	a, _ := k.Create(ctx, idA)
	a = bytes.Clone(a)
	b, _ := k.Create(ctx, idB)
	b = bytes.Clone(b)
	if err := k.Destroy(ctx, idA); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, a) {
		t.Error("the destroyed key's bytes are still in the file")
	}
	if !bytes.Contains(raw, b) {
		t.Error("the live key's bytes are not in the file")
	}
}

// Given a file whose last slot was cut short, or whose middle slot fails its
// checksum, when it is opened, then the torn create is gone and the damaged
// key is taken as erased, never as a key.
func TestDamagedSlots(t *testing.T) {
	ctx := context.Background()
	tests := map[string]struct {
		damage     func(raw []byte) []byte
		wantA      string // "live", "erased" or "unknown"
		wantBKnown bool
	}{
		"a torn last slot is a create that never happened": {
			damage: func(raw []byte) []byte { return raw[:128+60] }, wantA: "live", wantBKnown: false,
		},
		"a checksum failure in the last slot drops it": {
			damage: func(raw []byte) []byte { raw[128+70] ^= 1; return raw }, wantA: "live", wantBKnown: false,
		},
		"a checksum failure before the last slot erases it": {
			damage: func(raw []byte) []byte { raw[70] ^= 1; return raw }, wantA: "erased", wantBKnown: true,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), keyfile.Name)
			k := mustOpen(t, path)
			k.Create(ctx, idA)
			k.Create(ctx, idB)
			k.Close()
			raw, _ := os.ReadFile(path)
			if err := os.WriteFile(path, tt.damage(raw), 0o600); err != nil {
				t.Fatal(err)
			}
			k = mustOpen(t, path)
			defer k.Close()
			key, erased, err := k.Get(ctx, idA)
			got := "live"
			switch {
			case domain.ErrorCode(err) == domain.CodeCustomerNotFound:
				got = "unknown"
			case err != nil:
				t.Fatal(err)
			case erased:
				got = "erased"
			}
			if got != tt.wantA || (got == "live") != (key != nil) {
				t.Errorf("key A is %s (%x), want %s", got, key, tt.wantA)
			}
			_, _, err = k.Get(ctx, idB)
			if known := err == nil; known != tt.wantBKnown {
				t.Errorf("key B known = %v (%v), want %v", known, err, tt.wantBKnown)
			}
			if _, err := k.Create(ctx, "0000000000000000000000000000000a"); err != nil {
				t.Fatalf("a create after the repair: %v", err)
			}
		})
	}
}
