package projections_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

// storedFiles returns every file of the projection but the checkpoint, by
// path relative to dir.
func storedFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		// Temporary files come and go while the projection writes.
		if err != nil || d.IsDir() || d.Name() == "checkpoint.json" || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		raw, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(raw)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// run runs the projection until the returned stop is called.
func run(t *testing.T, p *projections.Transcripts) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx, nil) }()
	return func() { cancel(); <-done }
}

func TestTranscripts_FollowsEndsAndResumesAfterRestart(t *testing.T) {
	store := openStore(t)
	svc := newService(t, store)
	dir := t.TempDir()
	p, err := projections.OpenTranscripts(dir, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, p)
	first := startChat(t, svc, "")
	first.say(first.cus, "Γεια σας")
	first.end()
	eventually(t, "the first transcript stored", func() bool { return len(storedFiles(t, dir)) == 1 })
	stop()

	// While the projection is down, a conversation ends: it resumes from
	// its checkpoint and builds it.
	second := startChat(t, svc, "")
	second.say(second.cus, "Привет")
	second.end()
	ongoing := startChat(t, svc, "")
	p, err = projections.OpenTranscripts(dir, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop = run(t, p)
	defer stop()
	eventually(t, "the second transcript stored", func() bool { return len(storedFiles(t, dir)) == 2 })

	got, err := p.Get(t.Context(), second.id)
	if err != nil || got.Entries[len(got.Entries)-2].Text != "Привет" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	if _, err := p.Get(t.Context(), ongoing.id); domain.ErrorCode(err) != domain.CodeOngoing {
		t.Fatalf("an ongoing conversation: got %v, want %s", err, domain.CodeOngoing)
	}
	if _, err := p.Get(t.Context(), "no-such-conversation"); domain.ErrorCode(err) != domain.CodeNotFound {
		t.Fatalf("an unknown conversation: got %v, want %s", err, domain.CodeNotFound)
	}
}

// Deleting the projection's data and rebuilding it gives the same files,
// byte for byte.
func TestTranscripts_RebuildGivesIdenticalTranscripts(t *testing.T) {
	store := openStore(t)
	svc := newService(t, store)
	dir := t.TempDir()
	p, err := projections.OpenTranscripts(dir, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		c := startChat(t, svc, "")
		c.say(c.cus, "שלום")
		c.say(agent, "مرحبا")
		if i != 2 {
			c.end()
		}
	}
	stop := run(t, p)
	eventually(t, "four transcripts stored", func() bool { return len(storedFiles(t, dir)) == 4 })
	stop()
	before := storedFiles(t, dir)

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	var calls, total int
	n, err := p.Rebuild(t.Context(), func(done, all int) { calls, total = done, all })
	if err != nil || n != 4 || calls != 4 || total != 4 {
		t.Fatalf("Rebuild = %d, %v (progress %d/%d)", n, err, calls, total)
	}
	after := storedFiles(t, dir)
	if len(after) != len(before) {
		t.Fatalf("rebuilt %d files, had %d", len(after), len(before))
	}
	for name, raw := range before {
		if after[name] != raw {
			t.Errorf("%s differs after the rebuild", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "checkpoint.json")); err != nil {
		t.Errorf("no checkpoint after the rebuild: %v", err)
	}
}
