package diskstore

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/parley-chat/parley/domain"
)

// RepairReport says what Repair found and did.
type RepairReport struct {
	// File is the log's path.
	File string
	// Records counts the intact records, all of them kept.
	Records int
	// Damaged lists the damaged spans moved to the quarantine file.
	Damaged []DamagedSpan
	// TailOffset and TailBytes locate the bytes after the last intact
	// record that hold none, also moved to the quarantine file; TailBytes
	// is 0 when there are none.
	TailOffset, TailBytes int64
	// Placeholders lists the events written in place of the lost records.
	Placeholders []Placeholder
	// Quarantine and ReportFile name the files, beside the log, that hold
	// the damaged bytes and the report of the repair; empty when the log
	// had no damage.
	Quarantine, ReportFile string
}

// repairFailpoint is called at each step of Repair that a crash could
// interrupt; tests set it, and an error stops Repair there and leaves the
// files as a crash at that point would.
var repairFailpoint = func(step string) error { return nil }

// Repair keeps every intact record of the log in dir and moves each damaged
// span, and a tail that holds no intact record, to a quarantine file beside
// it, with a report, writing a placeholder
// event (domain.EventLostInRepair) at every position lost, so that positions
// stay contiguous and no stream has a hole. The repaired log is written
// beside the old one and renamed over it once durable and checked, so a
// repair killed at any point leaves the old log or the new one; run again,
// it gives the same bytes, since ids and times of the placeholders derive
// from the damage. A log with neither is left as it is. Repair holds the
// directory's lock.
func Repair(dir string) (*RepairReport, error) {
	lock, f, size, err := openLocked(dir)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	defer f.Close()
	var recs []RecordRef
	res, err := scanLog(f, size, func(off int64, _ int, rec record, _ bool) error {
		recs = append(recs, RecordRef{Offset: off, Stream: string(rec.stream), Revision: rec.rev, Position: rec.pos})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("diskstore: read log: %w", err)
	}
	rep := &RepairReport{File: f.Name(), Records: res.records, Damaged: res.damaged}
	if res.dataEnd > res.end {
		rep.TailOffset, rep.TailBytes = res.end, res.dataEnd-res.end
	}
	if len(res.damaged) == 0 && rep.TailBytes == 0 {
		return rep, nil
	}
	moved := rep.moved()
	id, err := repairID(f, moved)
	if err != nil {
		return nil, fmt.Errorf("diskstore: read damaged bytes: %w", err)
	}
	rep.Quarantine = LogFile + ".quarantine-" + id
	rep.ReportFile = rep.Quarantine + ".txt"
	rep.Placeholders, err = planPlaceholders(recs, res.damaged, domain.LostInRepairStreamPrefix+id)
	if err != nil {
		return nil, fmt.Errorf("diskstore: cannot repair %s: %w", f.Name(), err)
	}
	recs = nil // the plan holds what is needed
	err = writeDurable(dir, rep.Quarantine, func(w io.Writer) error {
		for _, m := range moved {
			if _, err := io.Copy(w, io.NewSectionReader(f, m[0], m[1]-m[0])); err != nil {
				return err
			}
		}
		return nil
	}, nil)
	if err == nil {
		err = writeDurable(dir, rep.ReportFile, func(w io.Writer) error { return writeRepairReport(w, rep) }, nil)
	}
	if err == nil {
		// The repaired log moves records; an index checkpoint of the old
		// one must not be trusted, however well it would match.
		err = removeDurable(dir, IndexFile)
	}
	if err == nil {
		err = writeDurable(dir, LogFile, func(w io.Writer) error {
			return writeRepaired(w, f, size, rep)
		}, checkRepaired)
	}
	if err != nil {
		return nil, fmt.Errorf("diskstore: repair %s: %w", f.Name(), err)
	}
	return rep, nil
}

// moved returns the byte ranges [start, end) of the log that go to the
// quarantine file, in log order: the damaged spans, then the tail.
func (rep *RepairReport) moved() [][2]int64 {
	var out [][2]int64
	for _, d := range rep.Damaged {
		out = append(out, [2]int64{d.Offset, d.End})
	}
	if rep.TailBytes > 0 {
		out = append(out, [2]int64{rep.TailOffset, rep.TailOffset + rep.TailBytes})
	}
	return out
}

// repairID names a repair by where its damage starts and a checksum of the
// damaged bytes, so that running it again picks the same names.
func repairID(f *os.File, moved [][2]int64) (string, error) {
	h := crc32.New(castagnoli)
	for _, m := range moved {
		if _, err := io.Copy(h, io.NewSectionReader(f, m[0], m[1]-m[0])); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%d-%08x", moved[0][0], h.Sum32()), nil
}

// writeRepaired writes the repaired log: the old log's bytes with each
// damaged span replaced by the placeholders of its lost positions, and
// without the tail that holds no intact record.
func writeRepaired(w io.Writer, f *os.File, size int64, rep *RepairReport) error {
	if _, err := io.WriteString(w, fileMagic); err != nil {
		return err
	}
	from := int64(len(fileMagic))
	var frames []byte
	next := 0
	for i, d := range rep.Damaged {
		if _, err := io.Copy(w, io.NewSectionReader(f, from, d.Offset-from)); err != nil {
			return err
		}
		if err := repairFailpoint("partial log"); err != nil {
			return err
		}
		frames = frames[:0]
		for ; next < len(rep.Placeholders) && rep.Placeholders[next].Span == i; next++ {
			var err error
			if frames, err = placeholderFrame(frames, rep.Placeholders[next], d, rep.Quarantine); err != nil {
				return err
			}
		}
		if _, err := w.Write(frames); err != nil {
			return err
		}
		from = d.End
	}
	end := size
	if rep.TailBytes > 0 {
		end = rep.TailOffset
	}
	_, err := io.Copy(w, io.NewSectionReader(f, from, end-from))
	return err
}

// checkRepaired reads the repaired log at path as Open would and fails on
// any damage or any position or revision out of sequence.
func checkRepaired(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	ix := indexer{x: newIndex()}
	res, err := scanLog(f, info.Size(), func(off int64, n int, rec record, _ bool) error {
		return ix.add(off, n, rec)
	})
	if err != nil {
		return fmt.Errorf("repaired log fails its check: %w", err)
	}
	if len(res.damaged) > 0 {
		return fmt.Errorf("repaired log fails its check: still damaged at offset %d", res.damaged[0].Offset)
	}
	return nil
}

// writeDurable writes the file name in dir through a temporary file that is
// synced, checked by check when given, and renamed over name.
func writeDurable(dir, name string, write func(io.Writer) error, check func(path string) error) error {
	path := filepath.Join(dir, name)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := repairFailpoint(name + " written"); err != nil {
		return err
	}
	if check != nil {
		if err := check(tmp); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if err := repairFailpoint(name + " renamed"); err != nil {
		return err
	}
	return syncDir(dir)
}

// removeDurable removes the file name in dir, if any, durably.
func removeDurable(dir, name string) error {
	if err := os.Remove(filepath.Join(dir, name)); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return err
	}
	return syncDir(dir)
}
