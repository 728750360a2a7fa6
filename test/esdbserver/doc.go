// Package esdbserver is an in-memory server that speaks the EventStoreDB
// gRPC wire protocol (the Streams service subset used by
// EventStore-Client-Go v4), so that code written against the official
// client can be tested without an EventStoreDB node.
//
// It mirrors what an EventStoreDB node answers where the client can observe
// it, as 24.10.0, 24.10.4 or 25.0 (WithServerVersion): appends with expected
// revisions and the server's idempotency rules (retries with "any" only
// while the ids are in a bounded cache, as on the node), wrong-expected-
// version as a response rather than a status, the append size limit
// counted as each version counts it and enforced while the client is still
// sending, reads of a stream (honouring $maxAge) and of $all, forwards and
// backwards, catch-up subscriptions to a stream and to $all with
// server-side filters and checkpoints, caught_up sent again after a live
// subscription falls behind, event encoding (ticks-based "created", both
// positions, commit position on every read event) and log positions that
// are byte-offset-like: strictly increasing, never zero and not contiguous.
// Reading $all from a position that is not a record boundary fails as on a
// real node: status Unknown with "Unexpected ReadAllResult: InvalidPosition"
// for a plain read, and InvalidArgument for a subscription.
//
// It is test code: storage is in memory, there is no authentication, no TLS,
// no clustering, no deletes, no link resolution and no persistent
// subscriptions.
package esdbserver
