//go:build unix

package projections_test

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/diskstore"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas"
	"github.com/parley-chat/parley/projections"
	"github.com/parley-chat/parley/test/benchdata"
)

// The rebuild benchmark's history: 10,000 conversations of 100 events, one
// in ten still going on and one in ten on a connector-borne channel (sms).
// -rebuild-conversations makes it smaller, to profile quickly.
var rebuildConversations = flag.Int("rebuild-conversations", 10_000, "conversations of 100 events in BenchmarkRebuild's store")

const rebuildPerConv = 100

// rebuildData is the store of 1,000,000 events, built once per test binary
// and removed by TestMain.
var rebuildData struct {
	once sync.Once
	dir  string
	took time.Duration
	err  error
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if rebuildData.dir != "" {
		os.RemoveAll(rebuildData.dir)
	}
	if scratch.dir != "" {
		os.RemoveAll(scratch.dir)
	}
	os.Exit(code)
}

// scratch holds the transcript directories of the rebuild benchmarks until
// the test binary ends. Deleting 9,000 files between two runs would make
// the second run's file creation slower on some file systems (ext4 without
// a journal steps over every inode freed in the last minutes when it
// allocates one), which a first start of parley serve does not meet.
var scratch struct {
	once sync.Once
	dir  string
	err  error
}

// scratchDir returns a new empty directory that lives until TestMain ends.
func scratchDir(b *testing.B) string {
	b.Helper()
	scratch.once.Do(func() { scratch.dir, scratch.err = os.MkdirTemp("", "parley-rebuild-out-") })
	if scratch.err != nil {
		b.Fatal(scratch.err)
	}
	dir, err := os.MkdirTemp(scratch.dir, "")
	if err != nil {
		b.Fatal(err)
	}
	return dir
}

var quiet = slog.New(slog.DiscardHandler)

// rebuildStore returns the directory of the history, building it first.
func rebuildStore(b *testing.B) string {
	b.Helper()
	rebuildData.once.Do(func() {
		start := time.Now()
		rebuildData.dir, rebuildData.err = os.MkdirTemp("", "parley-rebuild-bench-")
		if rebuildData.err == nil {
			rebuildData.err = fillRebuildStore(rebuildData.dir)
		}
		rebuildData.took = time.Since(start)
		fmt.Fprintf(os.Stderr, "BenchmarkRebuild: built a store of %d events in %s\n", rebuildEvents(), rebuildData.took.Round(time.Millisecond))
	})
	if rebuildData.err != nil {
		b.Fatal(rebuildData.err)
	}
	return rebuildData.dir
}

// fillRebuildStore appends every conversation whole, from several writers
// so that group commit shares the fsyncs.
func fillRebuildStore(dir string) error {
	s, err := diskstore.Open(dir, diskstore.Options{Logger: quiet})
	if err != nil {
		return err
	}
	const writers = 16
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := w; i < *rebuildConversations; i += writers {
				// Spread like real conversation ids, over every shard
				// directory of the transcript projection.
				id := domain.NameUUID(fmt.Sprint("rebuild-bench-", i))
				spec := benchdata.Spec{ID: id, Channel: "web", Messages: rebuildPerConv - 6, Ended: i%10 != 0,
					Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)}
				if i%10 == 5 {
					spec.Channel = "sms"
				}
				if !spec.Ended {
					spec.Messages++
				}
				evs, err := benchdata.Conversation(spec)
				if err == nil {
					_, err = s.Append(context.Background(), domain.StreamName(id), domain.NoStream(), evs)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		s.Close()
		return err
	}
	return s.Close()
}

func rebuildEvents() int { return *rebuildConversations * rebuildPerConv }

// cpuTime returns the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// openChecked opens the history as parley serve does: schema-checked.
func openChecked(b *testing.B, dir string) domain.EventStore {
	b.Helper()
	inner, err := diskstore.Open(dir, diskstore.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	return eventschemas.Checked(inner, eventschemas.MustLoad())
}

// replayFeed runs the live feed from the first event through the consumers
// parley serve gives it at start (conversationInfo, connectors, and a
// stand-in for the websocket hub's room look-up, which finds no room at
// start) until it has caught up.
func replayFeed(b *testing.B, store domain.EventStore) {
	infos := projections.NewConversationInfos(store, 0)
	connectors := projections.NewConnectors()
	var mu sync.Mutex
	rooms := map[string]bool{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := projections.RunFeed(ctx, store, 0, quiet, cancel,
		func(_ context.Context, e *projections.FeedEvent) error {
			infos.Apply(e)
			return connectors.Apply(e)
		},
		func(_ context.Context, e *projections.FeedEvent) error {
			if id, ok := domain.ConversationIDOf(e.Stream); ok {
				mu.Lock()
				_ = rooms[id]
				mu.Unlock()
			}
			return nil
		})
	if err != context.Canceled {
		b.Fatal(err)
	}
}

// replayTranscripts builds the transcript projection from the first event
// into an empty directory, as a first start or a rebuild does.
func replayTranscripts(b *testing.B, store domain.EventStore, dir string) {
	t := openTranscriptsIn(b, dir, store, quiet)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := t.Run(ctx, cancel); err != context.Canceled {
		b.Fatal(err)
	}
}

// BenchmarkRebuild measures what a start of parley serve on a store of
// 1,000,000 events costs: opening the store (recovery scans the log and
// rebuilds the index), replaying the whole history into the feed's
// in-memory read models, and building the transcript projection from zero
// (a first start, or parley transcripts rebuild). "serve" does both as
// parley serve does: the feed first, since the server answers once its read
// models have caught up (reported as live-s), then the transcripts, which
// serve builds in the background while it answers.
func BenchmarkRebuild(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a store of 1,000,000 events first (5 to 30 s, about 500 MB of disk); run without -short")
	}
	dir := rebuildStore(b)
	b.Run("open", func(b *testing.B) {
		for b.Loop() {
			s, err := diskstore.Open(dir, diskstore.Options{Logger: quiet})
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			s.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(b.N*rebuildEvents())/b.Elapsed().Seconds(), "events/s")
	})
	run := func(name string, feed, transcripts bool) {
		b.Run(name, func(b *testing.B) {
			var cpu, live time.Duration
			for range b.N {
				b.StopTimer()
				store := openChecked(b, dir)
				out := scratchDir(b)
				before := cpuTime()
				b.StartTimer()
				start := time.Now()
				if feed {
					replayFeed(b, store)
				}
				live += time.Since(start)
				if transcripts {
					replayTranscripts(b, store, out)
				}
				b.StopTimer()
				cpu += cpuTime() - before
				store.Close()
			}
			b.ReportMetric(float64(b.N*rebuildEvents())/b.Elapsed().Seconds(), "events/s")
			// CPU time, unlike wall time, hardly moves when other work
			// shares the machine.
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			if feed && transcripts {
				b.ReportMetric(live.Seconds()/float64(b.N), "live-s")
			}
		})
	}
	run("feed", true, false)
	run("transcripts", false, true)
	// files writes the transcripts alone, already rendered: the floor under
	// "transcripts" on this machine's file system, which creating some
	// 9,000 files can make most of the rebuild.
	b.Run("files", func(b *testing.B) {
		b.StopTimer()
		files := renderedTranscripts(b, dir)
		b.StartTimer()
		var cpu time.Duration
		for range b.N {
			b.StopTimer()
			out := scratchDir(b)
			before := cpuTime()
			b.StartTimer()
			if err := writeTranscriptFiles(out, files); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			cpu += cpuTime() - before
		}
		b.ReportMetric(float64(b.N*len(files))/b.Elapsed().Seconds(), "files/s")
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	})
	run("serve", true, true)
}

// renderedTranscripts returns the transcript files of the history, by
// conversation id (the name of each file), building them once.
func renderedTranscripts(b *testing.B, dir string) map[string][]byte {
	b.Helper()
	rendered.once.Do(func() {
		store := openChecked(b, dir)
		defer store.Close()
		out := scratchDir(b)
		replayTranscripts(b, store, out)
		rendered.files = map[string][]byte{}
		rendered.err = filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Dir(path) == out {
				return err // the checkpoint is beside the shard directories
			}
			data, err := os.ReadFile(path)
			rendered.files[strings.TrimSuffix(filepath.Base(path), ".json")] = data
			return err
		})
	})
	if rendered.err != nil {
		b.Fatal(rendered.err)
	}
	return rendered.files
}

var rendered struct {
	once  sync.Once
	files map[string][]byte
	err   error
}
