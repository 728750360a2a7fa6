package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/parley-chat/parley/adapters/diskstore"
)

// storeCommand runs parley store verify and parley store repair on the
// embedded store's data directory, with no server running.
func storeCommand(args []string) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "repair") {
		return errors.New("usage: parley store verify|repair --data-dir DIR")
	}
	fs := flag.NewFlagSet("store "+args[0], flag.ContinueOnError)
	dataDir := fs.String("data-dir", "./data", "directory of the embedded event store")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(*dataDir, diskstore.LogFile)); err != nil {
		return fmt.Errorf("no event log in %s: %w", *dataDir, err)
	}
	if args[0] == "verify" {
		return verifyStore(*dataDir)
	}
	return repairStore(*dataDir)
}

// verifyStore prints what diskstore.Verify found and fails when the log is
// damaged, so that scripts can test the exit code; on an intact log it then
// checks every event against its schema.
func verifyStore(dir string) error {
	rep, err := diskstore.Verify(dir)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d intact records, %d damaged spans\n", rep.File, rep.Records, len(rep.Damaged))
	for i, d := range rep.Damaged {
		fmt.Printf("damaged span %d: %s; %d intact records follow it\n", i+1, d, d.ValidAfter)
	}
	switch {
	case rep.TailWholeRecord:
		fmt.Printf("tail: %d bytes at offset %d hold a whole record that fails its checksum, with nothing intact after it: "+
			"a write torn by a crash or a damaged last record; the next start drops it and logs it as an error\n",
			rep.TailBytes, rep.TailOffset)
	case rep.TailBytes > 0:
		fmt.Printf("tail: %d bytes at offset %d hold a partial record, a write torn by a crash; the next start drops them\n",
			rep.TailBytes, rep.TailOffset)
	}
	if len(rep.Damaged) > 0 {
		return fmt.Errorf("the event log is damaged; stop Parley and run `parley store repair --data-dir %s` "+
			"to move the damage to a quarantine file and keep every intact record", dir)
	}
	fmt.Println("no damage found")
	return verifySchemas(context.Background(), dir)
}

// repairStore runs diskstore.Repair and prints its report.
func repairStore(dir string) error {
	rep, err := diskstore.Repair(dir)
	if err != nil {
		return err
	}
	if len(rep.Damaged) == 0 && rep.TailBytes == 0 {
		fmt.Printf("%s: %d intact records and no damage; nothing to repair\n", rep.File, rep.Records)
		return nil
	}
	report, err := os.ReadFile(filepath.Join(dir, rep.ReportFile))
	if err != nil {
		return err
	}
	os.Stdout.Write(report)
	fmt.Printf("\nRepaired: kept %d intact records, wrote %d placeholders, moved the damaged bytes to %s; "+
		"this report is in %s. Parley can start again.\n",
		rep.Records, len(rep.Placeholders), filepath.Join(dir, rep.Quarantine), filepath.Join(dir, rep.ReportFile))
	return nil
}
