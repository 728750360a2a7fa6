package projections

import (
	"bytes"
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley/domain"
)

// Transcripts is the persisted transcript projection: the transcript of
// every finished conversation, as JSON files under a directory of its own,
// with a checkpoint of the last event handled. Run keeps it current from
// its own subscription, so it survives restarts and works with any store;
// Rebuild makes it again from the whole history.
//
// Crash safety: the checkpoint never claims a transcript that is not
// durable. Run and Rebuild write each file atomically but without fsync (a
// temporary file renamed into place: a reader sees the old file or the new
// one, never a part), make a batch of files durable with one barrier (a
// syncfs of the projection's file system on Linux, fsyncs elsewhere; see
// fileSyncer), and only then store a checkpoint past those conversations'
// ends. After a crash, a conversation that ended at or after the checkpoint
// may have no file, or an empty or unreadable one: Run builds it again on
// the next start, which is harmless because the same events give the same
// bytes, and Get meanwhile folds again any transcript it finds missing or
// unreadable. Get and Build make the one file they store durable before
// they return.
type Transcripts struct {
	files  transcriptFiles
	store  domain.EventStore
	logger *slog.Logger

	observeBarrier func(paths []string) error // tests only; see fileSyncer
}

// OpenTranscripts returns the projection kept in dir, creating dir when
// needed. Nothing is read from the store until Run, Get or Rebuild.
func OpenTranscripts(dir string, store domain.EventStore, logger *slog.Logger) (*Transcripts, error) {
	if store == nil {
		return nil, errors.New("transcripts: store is required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("transcripts: %w", err)
	}
	return &Transcripts{files: transcriptFiles{dir: dir}, store: store, logger: logger}, nil
}

// Get returns the customer transcript of conversation id: the stored one
// when it is there in the current format, otherwise the one folded from the
// conversation's stream (which is then stored), so a transcript is served
// at once even when Run has not reached the end of the conversation yet.
// Errors: CodeNotFound for no such conversation, CodeOngoing while it has
// not ended.
func (p *Transcripts) Get(ctx context.Context, id string) (*Transcript, error) {
	if t, err := p.files.load(id); err == nil && t.Format == TranscriptFormat {
		return t, nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		p.logger.Warn("stored transcript unreadable; folding it again", "conversation", id, "err", err)
	}
	return p.Build(ctx, id)
}

// Build folds conversation id from its stream and stores its transcript,
// durably before it returns, with the errors of Get.
func (p *Transcripts) Build(ctx context.Context, id string) (*Transcript, error) {
	t, err := p.fold(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := p.files.store(t); err != nil {
		return nil, err
	}
	return t, nil
}

func (p *Transcripts) fold(ctx context.Context, id string) (*Transcript, error) {
	recs, err := readUntilEnd(ctx, p.store, id)
	if err != nil {
		return nil, err
	}
	return FoldTranscript(id, recs)
}

// writeError is a transcript folded but not written: unlike a history that
// does not fold, it may well succeed on a retry.
type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }
func (e writeError) Unwrap() error { return e.err }

// write folds conversation id and writes its file without making it
// durable: s records it for its next barrier. recs, when not nil, are the
// conversation's events from the first up to its end, as read through the
// store; otherwise they are read.
func (p *Transcripts) write(ctx context.Context, s *fileSyncer, id string, recs []domain.RecordedEvent) error {
	var t *Transcript
	var err error
	if recs != nil {
		t, err = FoldTranscript(id, recs)
	} else {
		t, err = p.fold(ctx, id)
	}
	if err != nil {
		return err
	}
	path, err := p.files.write(t, false)
	if err != nil {
		return writeError{err}
	}
	s.wrote(path)
	return nil
}

// readUntilEnd reads a conversation's events from the first up to its
// endOfConversation (or the end of the stream). The stream is read in
// pages so a long chat does not need one huge read.
func readUntilEnd(ctx context.Context, store domain.EventStore, id string) ([]domain.RecordedEvent, error) {
	const page = 1000
	var out []domain.RecordedEvent
	for {
		recs, err := store.ReadStream(ctx, domain.StreamName(id), domain.Revision(len(out)), page)
		if errors.Is(err, domain.ErrStreamNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read conversation %s: %w", id, err)
		}
		for _, rec := range recs {
			out = append(out, rec)
			if isEnd(rec) {
				return out, nil
			}
		}
		if len(recs) < page {
			return out, nil
		}
	}
}

// isEnd reports whether rec stores an endOfConversation activity. The cheap
// byte test spares decoding every message of every conversation.
func isEnd(rec domain.RecordedEvent) bool {
	if rec.Type != domain.EventActivityMessage || !bytes.Contains(rec.Data, []byte(domain.ActivityEndOfConversation)) {
		return false
	}
	var m struct {
		ActivityType string `json:"activityType"`
	}
	return json.Unmarshal(rec.Data, &m) == nil && m.ActivityType == domain.ActivityEndOfConversation
}

// checkpointEvery is how often, at most, Run makes the transcripts written
// since the last time durable and moves its checkpoint past them, besides
// each time it has caught up and when it stops.
const checkpointEvery = time.Second

// recentBytes bounds the memory that Run spends on keeping the events of
// conversations it has followed from their first event (recentEvents).
const recentBytes = 16 << 20

// builders is how many transcripts are folded and written at once.
func builders() int { return max(1, runtime.GOMAXPROCS(0)) }

// Run keeps the projection current until ctx ends, and returns ctx's error:
// it subscribes to every conversation stream from the checkpoint and builds
// a conversation's transcript when its end arrives, several at once: from
// the events the subscription delivered when it kept all of them (see
// recentEvents), otherwise from a read of the stream. ready is called each
// time the subscription has caught up and every transcript it reached is
// written and durable, with the checkpoint saved.
//
// The checkpoint moves at most once every checkpointEvery, when caught up
// and when stopping, and only to a position before which every ended
// conversation's file is durable (see Transcripts). A store failure, a
// transcript that could not be written or a barrier that failed ends the
// subscription, which resumes with backoff from the first conversation not
// known to be durable; building a transcript again is harmless, since the
// same events give the same bytes. A history that does not fold is logged
// and passed over: a retry would fail alike, and Get reports the error when
// that transcript is asked for.
func (p *Transcripts) Run(ctx context.Context, ready func()) error {
	cp, err := p.files.loadCheckpoint()
	if err != nil {
		// Folding from the start again is slow but harmless.
		p.logger.Warn("transcript checkpoint unreadable; following from the first event", "err", err)
	}
	syncer, err := openSyncer(p.files.dir, p.observeBarrier)
	if err != nil {
		return err
	}
	defer syncer.close()
	f := &follower{p: p, syncer: syncer, saved: cp, next: cp}
	f.cond = sync.NewCond(&f.mu)

	stopFlusher := make(chan struct{})
	var flusher sync.WaitGroup
	flusher.Go(func() {
		tick := time.NewTicker(checkpointEvery)
		defer tick.Stop()
		for {
			select {
			case <-stopFlusher:
				return
			case <-tick.C:
				f.flush()
			}
		}
	})
	defer func() {
		close(stopFlusher)
		flusher.Wait()
		f.flush()
	}()

	backoff := 50 * time.Millisecond
	for {
		err := f.follow(ctx, ready)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p.logger.Warn("transcript projection subscription dropped; resuming", "err", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// follower is Run's state: the ends handed to the builders and how far the
// files written, and those made durable, reach.
type follower struct {
	p      *Transcripts
	syncer *fileSyncer
	recent *recentEvents // the subscription's goroutine's alone

	flushMu sync.Mutex // one barrier and checkpoint at a time

	mu      sync.Mutex
	cond    *sync.Cond // broadcast when a build ends, well or not
	saved   domain.After
	next    domain.After // the last event handled: the subscription resumes after it
	pending []*endJob    // ends handed to the builders, in order, from the first not yet written
	failed  bool         // a build must be retried: the subscription is ending
	broken  bool         // a barrier failed: resume from saved, writing everything after it again
	stop    context.CancelCauseFunc
}

type endJob struct {
	id string
	// before is the last event handled before this conversation's end: a
	// resumption after it handles the end again.
	before domain.After
	recs   []domain.RecordedEvent // the conversation's events when recent kept them all
	done   bool
}

// stable returns the position up to which every ended conversation's file
// is written: just before the first end not yet built, or the last event
// handled. f.mu is held.
func (f *follower) stable() domain.After {
	if len(f.pending) > 0 {
		return f.pending[0].before
	}
	return f.next
}

// follow runs one subscription, from the first conversation not known to
// be written, until it fails or ctx ends, and returns why it ended once no
// build is running any more.
func (f *follower) follow(ctx context.Context, ready func()) error {
	sub, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	f.mu.Lock()
	if f.broken {
		f.next, f.broken = f.saved, false
	} else {
		f.next = f.stable()
	}
	from := f.next
	f.pending, f.failed, f.stop = nil, false, stop
	f.mu.Unlock()
	f.recent = newRecentEvents(recentBytes)

	jobs := make(chan *endJob, builders())
	var wg sync.WaitGroup
	for range builders() {
		wg.Go(func() {
			for j := range jobs {
				f.build(sub, j)
			}
		})
	}
	err := f.p.store.SubscribeToAll(sub, from, domain.Filter{StreamPrefix: domain.StreamPrefix},
		func(_ context.Context, rec domain.RecordedEvent) error { return f.handle(sub, jobs, rec) },
		domain.SubscribeOptions{OnCaughtUp: func() {
			if f.drained() && f.flush() && ready != nil {
				ready()
			}
		}})
	close(jobs)
	wg.Wait()
	if ctx.Err() == nil && sub.Err() != nil {
		err = context.Cause(sub)
	}
	return err
}

func (f *follower) handle(ctx context.Context, jobs chan<- *endJob, rec domain.RecordedEvent) error {
	f.recent.add(rec)
	erased := f.p.erased(rec)
	if !isEnd(rec) && !erased {
		f.mu.Lock()
		f.next = domain.After(rec.Position)
		f.mu.Unlock()
		return nil
	}
	id, _ := domain.ConversationIDOf(rec.Stream)
	recs := f.recent.take(rec.Stream)
	if erased {
		recs = nil // read before the erasure: fold what the store gives now
	}
	f.mu.Lock()
	j := &endJob{id: id, before: f.next, recs: recs}
	f.pending = append(f.pending, j)
	f.next = domain.After(rec.Position)
	f.mu.Unlock()
	select {
	case jobs <- j:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// build writes one transcript and records the outcome.
func (f *follower) build(ctx context.Context, j *endJob) {
	err := context.Cause(ctx)
	if err == nil {
		err = f.p.write(ctx, f.syncer, j.id, j.recs)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.cond.Broadcast()
	var werr writeError
	if err != nil && (ctx.Err() != nil || domain.ErrorCode(err) == domain.CodeUnavailable || errors.As(err, &werr)) {
		if !f.failed {
			f.failed = true
			f.stop(fmt.Errorf("transcript of %s: %w", j.id, err))
		}
		return
	}
	if err != nil {
		f.p.logger.Error("transcript not built", "conversation", j.id, "err", err)
	}
	j.done, j.recs = true, nil
	for len(f.pending) > 0 && f.pending[0].done {
		f.pending = f.pending[1:]
	}
}

// drained waits until every end handed to the builders is written, and
// reports whether they all were.
func (f *follower) drained() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.pending) > 0 && !f.failed {
		f.cond.Wait()
	}
	return !f.failed
}

// flush makes the files written so far durable and then moves the
// checkpoint up to them, and reports whether the checkpoint is now up to
// date. A failed barrier leaves the checkpoint where it is and ends the
// subscription, which resumes from the checkpoint so that every file after
// it is written again before a barrier vouches for it.
func (f *follower) flush() bool {
	f.flushMu.Lock()
	defer f.flushMu.Unlock()
	f.mu.Lock()
	pos, saved, broken := f.stable(), f.saved, f.broken
	f.mu.Unlock()
	if broken {
		return false
	}
	if pos == saved {
		return true
	}
	if err := f.syncer.sync(); err != nil {
		f.p.logger.Error("transcripts not made durable; writing them again", "err", err)
		f.mu.Lock()
		f.broken = true
		if f.stop != nil {
			f.stop(err)
		}
		f.mu.Unlock()
		return false
	}
	if err := f.p.files.storeCheckpoint(pos); err != nil {
		f.p.logger.Warn("transcript checkpoint not saved", "err", err)
		return false
	}
	f.mu.Lock()
	f.saved = pos
	f.mu.Unlock()
	return true
}

// Rebuild deletes every stored transcript and builds them all again from
// the whole history, then sets the checkpoint after the last event read.
// It reads the history once: each end found goes to the builders (several
// at once) with the conversation's events when recentEvents kept them all,
// and is otherwise folded from a read of its stream.
//
// The files are made durable by one barrier at the end, before the
// checkpoint is stored. Until then there is no checkpoint, so a crash
// midway makes Run start from the first event, and a barrier midway would
// vouch for nothing. (Barriers every 500 transcripts, on the goroutine that
// collects the results, stalled the builders and the read behind them: the
// rebuild ran on one core.)
//
// progress, when set, is called on the calling goroutine each time a
// transcript is built, with the number built so far and the number of ended
// conversations found so far, which grows while the history is read and is
// the total at the last call. Rebuild returns how many transcripts it
// built, and the first error met, after which it stops building.
func (p *Transcripts) Rebuild(ctx context.Context, progress func(done, found int)) (int, error) {
	syncer, err := openSyncer(p.files.dir, p.observeBarrier)
	if err != nil {
		return 0, err
	}
	defer syncer.close()
	if err := p.files.clear(); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type result struct {
		id  string
		err error
	}
	jobs := make(chan *endJob, builders())
	results := make(chan result, builders())
	var found atomic.Int64
	var next domain.After
	var scanErr error
	var wg sync.WaitGroup
	for range builders() {
		wg.Go(func() {
			for j := range jobs {
				results <- result{j.id, p.write(ctx, syncer, j.id, j.recs)}
			}
		})
	}
	go func() {
		defer close(jobs)
		next, scanErr = p.scanEnds(ctx, func(j *endJob) bool {
			found.Add(1)
			select {
			case jobs <- j:
				return true
			case <-ctx.Done():
				return false
			}
		})
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	var first error
	fail := func(err error) {
		if first == nil {
			first = err
			cancel()
		}
	}
	done := 0
	for r := range results {
		if r.err != nil {
			fail(fmt.Errorf("build transcript of %s: %w", r.id, r.err))
			continue
		}
		done++
		if first != nil {
			continue
		}
		if progress != nil {
			progress(done, int(found.Load()))
		}
	}
	// results is closed once jobs is, so the scan has ended.
	if first == nil && scanErr != nil {
		first = scanErr
	}
	if first != nil {
		return done, first
	}
	if err := syncer.sync(); err != nil {
		return done, err
	}
	if err := p.files.storeCheckpoint(next); err != nil {
		return done, err
	}
	return done, nil
}

// scanEnds reads the whole history once and hands each conversation's end
// to end, in order, with the conversation's events when recentEvents kept
// them all; it stops when end returns false. It returns the position of
// the last event read: the next read starts after it.
func (p *Transcripts) scanEnds(ctx context.Context, end func(*endJob) bool) (domain.After, error) {
	recent := newRecentEvents(recentBytes)
	var last domain.After
	const page = 1000
	for {
		recs, err := p.store.ReadAll(ctx, last, page)
		if err != nil {
			return last, fmt.Errorf("read all events: %w", err)
		}
		for _, rec := range recs {
			before := last
			last = domain.After(rec.Position)
			id, ok := domain.ConversationIDOf(rec.Stream)
			if !ok {
				continue
			}
			recent.add(rec)
			if isEnd(rec) && !end(&endJob{id: id, before: before, recs: recent.take(rec.Stream)}) {
				return last, context.Cause(ctx)
			}
		}
		if len(recs) < page {
			return last, nil
		}
	}
}

// recentEvents keeps, within a budget of bytes, the events of the
// conversations that a subscription has delivered from their first event,
// so that a conversation is folded from the events the subscription already
// read (through the same checked store) rather than read again when its end
// arrives. It is a cache and nothing more: a conversation that it evicted
// to stay within budget, or did not see from its first event (it began
// before the checkpoint), or saw with a gap, is read from its stream as
// before. Memory thus stays bounded however many conversations are ongoing.
type recentEvents struct {
	budget, size int
	convs        map[string]*recentConv // by stream
	age          *list.List             // of *recentConv, oldest first
}

type recentConv struct {
	stream string
	recs   []domain.RecordedEvent
	size   int
	elem   *list.Element
}

func newRecentEvents(budget int) *recentEvents {
	return &recentEvents{budget: budget, convs: map[string]*recentConv{}, age: list.New()}
}

// recordOverhead approximates what a RecordedEvent costs besides its data.
const recordOverhead = 256

func (r *recentEvents) add(rec domain.RecordedEvent) {
	c := r.convs[rec.Stream]
	switch {
	case c == nil && rec.Revision != 0:
		return
	case c == nil:
		c = &recentConv{stream: rec.Stream}
		c.elem = r.age.PushBack(c)
		r.convs[rec.Stream] = c
	case rec.Revision != c.recs[len(c.recs)-1].Revision+1:
		r.drop(c) // never fold across a gap
		return
	}
	// The store may hand out slices of a larger read buffer: a copy keeps
	// the budget honest.
	rec.Data = bytes.Clone(rec.Data)
	n := recordOverhead + len(rec.Data)
	c.recs = append(c.recs, rec)
	c.size += n
	r.size += n
	for r.size > r.budget && r.age.Len() > 0 {
		r.drop(r.age.Front().Value.(*recentConv))
	}
}

// take returns the events kept of stream, from its first one, and forgets
// them; nil when they are not all there.
func (r *recentEvents) take(stream string) []domain.RecordedEvent {
	c := r.convs[stream]
	if c == nil {
		return nil
	}
	r.drop(c)
	return c.recs
}

func (r *recentEvents) drop(c *recentConv) {
	delete(r.convs, c.stream)
	r.age.Remove(c.elem)
	r.size -= c.size
}
