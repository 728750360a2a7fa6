package diskstore

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/parley-chat/parley/domain"
)

// DamageError is returned by Open when the log holds a record that fails
// its checksum or framing with intact records after it. Open changes
// nothing then: Repair quarantines the damage and keeps every intact record.
type DamageError struct {
	// File is the log's path and Dir the data directory.
	File, Dir string
	// Spans lists every damaged span, in log order; there is at least one.
	Spans []DamagedSpan
}

// Error names the first damaged span, its neighbours, how many intact
// records follow it, and the commands that report and repair it.
func (e *DamageError) Error() string {
	d := e.Spans[0]
	var b strings.Builder
	fmt.Fprintf(&b, "diskstore: the event log %s is damaged: %s; %d intact records follow it",
		e.File, d.String(), d.ValidAfter)
	if len(e.Spans) > 1 {
		fmt.Fprintf(&b, ", and %d more damaged spans after it", len(e.Spans)-1)
	}
	fmt.Fprintf(&b, ". Refusing to start: cutting the log there would lose acknowledged events, and the log "+
		"was not changed. Run `parley store verify --data-dir %s` to list the damage, then "+
		"`parley store repair --data-dir %s` to move it to a quarantine file and keep every intact record",
		e.Dir, e.Dir)
	return b.String()
}

// String says where d lies in words an operator can check.
func (d DamagedSpan) String() string {
	before := "at the start of the log"
	if d.Before != nil {
		before = "after " + describeRecord(*d.Before)
	}
	return fmt.Sprintf("%d bytes at offset %d hold no intact record (%s, before %s; positions lost: %d)",
		d.End-d.Offset, d.Offset, before, describeRecord(d.After), d.LostPositions())
}

func describeRecord(r RecordRef) string {
	return fmt.Sprintf("stream %q revision %d (position %d, recorded %s)",
		r.Stream, r.Revision, r.Position, r.Recorded.Format("2006-01-02T15:04:05.000Z"))
}

// Report is what Verify found in a data directory's log.
type Report struct {
	// File is the log's path.
	File string
	// Records counts the intact records.
	Records int
	// Damaged lists every damaged span, in log order.
	Damaged []DamagedSpan
	// TailOffset and TailBytes locate what follows the last intact record
	// and holds no intact record (TailBytes counts up to the last byte that
	// is not zero): a torn write that the next start truncates.
	TailOffset, TailBytes int64
	// TailWholeRecord is set when that tail holds a whole record that fails
	// its checksum, which may have been acknowledged (see DamageError).
	TailWholeRecord bool
}

// Verify reads the whole log in dir and reports every damaged span and the
// torn tail, changing nothing. It holds the directory's lock while it reads,
// so it fails with ErrLocked while a store has dir open.
func Verify(dir string) (*Report, error) {
	lock, f, size, err := openLocked(dir)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	defer f.Close()
	res, err := scanLog(f, size, func(int64, int, record, bool) error { return nil })
	if err != nil {
		return nil, fmt.Errorf("diskstore: read log: %w", err)
	}
	rep := &Report{File: f.Name(), Records: res.records, Damaged: res.damaged,
		TailOffset: res.end, TailWholeRecord: res.completeBad}
	if res.dataEnd > res.end {
		rep.TailBytes = res.dataEnd - res.end
	}
	return rep, nil
}

// openLocked takes dir's lock and opens its log, for Verify and Repair, which
// must not read a log that a store is appending to. The caller closes both,
// the log first.
func openLocked(dir string) (lock, f *os.File, size int64, err error) {
	lock, err = lockDir(dir)
	if err != nil {
		return nil, nil, 0, err
	}
	f, size, err = openExisting(dir)
	if err != nil {
		_ = lock.Close()
		return nil, nil, 0, err
	}
	return lock, f, size, nil
}

// openExisting opens the log of dir for reading and checks its header.
func openExisting(dir string) (*os.File, int64, error) {
	f, err := os.Open(filepath.Join(dir, LogFile))
	if err != nil {
		return nil, 0, fmt.Errorf("diskstore: open log: %w", err)
	}
	info, err := f.Stat()
	if err == nil {
		err = checkMagic(f)
	}
	if err != nil {
		_ = f.Close()
		return nil, 0, err
	}
	return f, info.Size(), nil
}

// writeRepairReport writes the report of a repair for the operator.
func writeRepairReport(w io.Writer, rep *RepairReport) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "Repair of the Parley event log %s\n\n", filepath.Base(rep.File))
	fmt.Fprintf(bw, "%d damaged spans were moved, in log order, to %s; every one of the %d intact records was kept as it was.\n",
		len(rep.Damaged), rep.Quarantine, rep.Records)
	if rep.TailBytes > 0 {
		fmt.Fprintf(bw, "The %d bytes at offset %d after the last intact record, which hold none, follow them in the quarantine file.\n",
			rep.TailBytes, rep.TailOffset)
	}
	fmt.Fprintf(bw, "Each lost position now holds an %s event, which read models show as \"lost in repair\".\n",
		domain.EventLostInRepair)
	var q int64
	next := 0
	for i, d := range rep.Damaged {
		fmt.Fprintf(bw, "\nSpan %d: %s; %d intact records follow it. Its bytes are at offset %d of the quarantine file.\n",
			i+1, d.String(), d.ValidAfter, q)
		q += d.End - d.Offset
		for ; next < len(rep.Placeholders) && rep.Placeholders[next].Span == i; next++ {
			p := rep.Placeholders[next]
			how := "told from its neighbours"
			if !p.StreamKnown {
				how = "its stream could not be told; a stream's last events, or a whole stream, may be lost here"
			}
			fmt.Fprintf(bw, "  position %d: placeholder on stream %q at revision %d (%s)\n", p.Position, p.Stream, p.Revision, how)
		}
	}
	return bw.Flush()
}
