// Package diskstore is Parley's embedded, durable event store: a
// domain.EventStore kept in one data directory, for single-node deployments
// that do not run EventStoreDB.
//
// # Log
//
// Every event is one frame of an append-only file (LogFile): a length, a
// CRC-32C and the payload (see record.go). Positions run 1, 2, 3, … in
// commit order; the events of one Append sit next to each other and only the
// last is flagged, so recovery can drop a torn append whole.
//
// # Writes
//
// Callers encode their frames and queue them for a single writer goroutine.
// The writer takes what is queued as one group, checks each append's
// expected revision (and EventStoreDB's idempotency rules) in order, seals
// the frames with revisions and positions, writes the group with one pwrite
// and one fdatasync, and only then publishes it to readers and answers the
// callers. Under concurrency one fdatasync thus covers many appends (group
// commit). A failed write (a full disk) is undone, the log truncated back
// to its last acknowledged record, before the group is answered with an
// error, and appends pause until the writer can preallocate again (see
// pause.go). A failed sync stops the store taking appends until it is
// reopened, since what reached the disk is then unknown.
//
// # Recovery
//
// Open takes an exclusive flock on LockFile, so a second process (or a
// second Store in this one) is refused with a message naming the directory.
// It then scans the log, rebuilding the in-memory index (position to file
// offset, stream to positions), and truncates a torn tail: bytes with no
// intact frame after them, or an append without its last frame. A frame that
// fails its checksum with an intact frame after it is damage, not a crash's
// doing: Open refuses it with a DamageError and changes nothing, and Repair
// moves it to a quarantine file, keeping every intact frame (scan.go,
// repair.go).
//
// # Reads and subscriptions
//
// Reads use pread on committed ranges, and a byte-bounded cache of recent
// events serves live readers. Subscriptions catch up from the index and the
// log at their own pace, then wait on a channel that the writer closes after
// each commit (per stream, or for all streams), taken before each look so no
// wake-up is lost. A slow subscriber thus holds no buffer and blocks nobody.
package diskstore
