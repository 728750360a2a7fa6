// Package storedjson reads and writes the JSON forms Parley stores and
// sends, byte for byte as encoding/json would, without reflection: stored
// messages and their metadata, routing events, transcript files, and the
// strings and values inside websocket frames (ADR 13). Each fast path
// handles only the plain form Parley itself writes and hands anything else
// to encoding/json, and an equivalence test and a fuzz target beside it
// hold it to encoding/json's bytes or values.
package storedjson
