package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"golang.org/x/term"

	"github.com/parley-chat/parley/adapters/httpapi"
	"github.com/parley-chat/parley/adapters/pdf"
	"github.com/parley-chat/parley/adapters/smtp"
	"github.com/parley-chat/parley/adapters/transcriptfiles"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/projections"
)

// MailConfig is how parley serve sends transcript emails.
type MailConfig struct {
	SMTPURL  string
	MailFrom string
}

func (c *MailConfig) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.SMTPURL, "smtp-url", "", "mail server for transcript emails: smtp://user:pass@host:port (STARTTLS when offered) or smtps://...; empty stores requests without sending them")
	fs.StringVar(&c.MailFrom, "mail-from", "Parley <parley@localhost>", "sender address of transcript emails")
}

// transcriptsDir is where the transcript projection lives.
func transcriptsDir(dataDir string) string { return filepath.Join(dataDir, "transcripts") }

// startTranscripts opens the transcript projection and starts keeping it
// current and, when a mail server is configured, the transcript email
// worker; both stop with the live feed. It returns the REST edge's wiring.
func (m *Main) startTranscripts(store domain.EventStore) (*httpapi.TranscriptConfig, error) {
	files, err := transcriptfiles.Open(transcriptsDir(m.Config.DataDir))
	if err != nil {
		return nil, err
	}
	transcripts, err := projections.NewTranscripts(files, m.ops.metrics.Projection("transcripts", store), m.Logger)
	if err != nil {
		files.Close()
		return nil, err
	}
	var mailer domain.Mailer
	if m.Config.Mail.SMTPURL != "" {
		if mailer, err = smtp.New(m.Config.Mail.SMTPURL, smtp.Options{}); err != nil {
			return nil, fmt.Errorf("--smtp-url: %w", err)
		}
	}
	outbox, err := projections.NewTranscriptMailer(projections.TranscriptMailerConfig{
		Store: m.ops.metrics.Projection("transcript_emails", store), Transcripts: transcripts, Mailer: mailer, RenderPDF: pdf.Render,
		From: m.Config.Mail.MailFrom, Now: time.Now, NewID: uuid.NewString, Logger: m.Logger,
		ClaimTimeout: m.Config.ClaimTimeout, Node: m.node,
	})
	if err != nil {
		return nil, fmt.Errorf("--mail-from: %w", err)
	}
	m.transcripts.Go(func() {
		m.logStop("transcript projection", transcripts.Run(m.feedCtx, nil))
		// Only Run's barriers use the directory held open; a transcript
		// stored on request after this is made durable by its own fsyncs.
		files.Close()
	})
	if mailer == nil {
		m.Logger.Info("no --smtp-url: transcript email requests are stored, and sent once Parley runs with a mail server")
	} else {
		m.transcripts.Go(func() { m.logStop("transcript email worker", outbox.Run(m.feedCtx)) })
	}
	return &httpapi.TranscriptConfig{Transcripts: transcripts, Mailer: outbox, RenderPDF: pdf.Render}, nil
}

// logStop logs a background task that ended for another reason than
// shutdown.
func (m *Main) logStop(task string, err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		m.Logger.Error(task+" stopped", "err", err)
	}
}

// transcriptsCommand runs "parley transcripts <subcommand>".
func transcriptsCommand(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "rebuild" {
		fmt.Fprintln(os.Stderr, "Usage: parley transcripts rebuild [--conversation ID] [--data-dir DIR] [--store URL]")
		if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return flag.ErrHelp
		}
		return errors.New("transcripts: the only subcommand is rebuild")
	}
	var cfg ServeConfig
	var conversation string
	fs := flag.NewFlagSet("transcripts rebuild", flag.ContinueOnError)
	fs.StringVar(&conversation, "conversation", "", "rebuild only this conversation's transcript")
	fs.StringVar(&cfg.DataDir, "data-dir", "./data", "data directory: the embedded event store and the transcripts")
	fs.StringVar(&cfg.Store, "store", "", "event store: empty for the embedded store in --data-dir, or an EventStoreDB connection string")
	fs.StringVar(&cfg.LogLevel, "log-level", "warn", "log level: debug, info, warn or error")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	logger, err := newLogger(cfg.LogLevel, "text")
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	files, err := transcriptfiles.Open(transcriptsDir(cfg.DataDir))
	if err != nil {
		return err
	}
	defer files.Close()
	transcripts, err := projections.NewTranscripts(files, store, logger)
	if err != nil {
		return err
	}
	start := time.Now()
	if conversation != "" {
		if _, err := transcripts.Build(ctx, conversation); err != nil {
			return fmt.Errorf("rebuild transcript of %s: %w", conversation, err)
		}
		fmt.Fprintf(os.Stderr, "rebuilt the transcript of %s\n", conversation)
		return nil
	}
	line := newProgressLine(os.Stderr)
	n, err := transcripts.Rebuild(ctx, line.update)
	line.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "rebuilt %d transcripts in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}

// progressLine shows "512 transcripts built, 530 ended conversations found"
// on a terminal, at most every 100ms; on anything else (a log file, CI) it
// shows nothing. There is no bar: the total is known only once the whole
// history has been read, which Rebuild does while it builds.
type progressLine struct {
	out  *os.File
	on   bool
	last time.Time
	drew bool
}

func newProgressLine(out *os.File) *progressLine {
	return &progressLine{out: out, on: term.IsTerminal(int(out.Fd()))}
}

func (p *progressLine) update(done, found int) {
	if !p.on || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.drew = time.Now(), true
	fmt.Fprintf(p.out, "\r%d transcripts built, %d ended conversations found", done, found)
}

func (p *progressLine) done() {
	if p.drew {
		fmt.Fprintln(p.out)
	}
}
