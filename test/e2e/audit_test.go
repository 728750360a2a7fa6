package e2e

import (
	"bytes"
	"context"
	bin "encoding/binary"
	"encoding/json"
	"hash/crc32"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/diskstore"
)

// verifyAnswer is GET /api/conversations/{id}/verify's answer.
type verifyAnswer struct {
	Valid            bool    `json:"valid"`
	Events           uint64  `json:"events"`
	Unchained        uint64  `json:"unchained"`
	Head             string  `json:"head"`
	FirstBadSequence *uint64 `json:"firstBadSequence"`
}

// chainedEvent is an event of the events API, with the metadata ADR 40 adds.
type chainedEvent struct {
	Sequence uint64          `json:"sequence"`
	Type     string          `json:"type"`
	Data     json.RawMessage `json:"data"`
	Metadata struct {
		Actor struct {
			Kind string `json:"kind"`
			ID   string `json:"id"`
		} `json:"actor"`
		Hash string `json:"hash"`
	} `json:"metadata"`
}

// runAudit runs parley audit verify with args and returns its output and
// exit error.
func runAudit(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, append([]string{"audit", "verify"}, args...)...).CombinedOutput()
	return string(out), err
}

func verifyOn(t *testing.T, s *server, conv string) verifyAnswer {
	t.Helper()
	var v verifyAnswer
	if code := s.doAs(t, agentKey, "GET", "/api/conversations/"+conv+"/verify", nil, &v); code != http.StatusOK {
		t.Fatalf("GET verify of %s: %d", conv, code)
	}
	return v
}

// TestAuditChainOnTheEmbeddedStore: a real server records who did what
// and chains every event; one byte changed in the store's file, with the
// record's checksum fixed so that only the chain can tell, is reported at
// its sequence by the CLI and by the API.
func TestAuditChainOnTheEmbeddedStore(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, dataDir)
	convs := chatHistory(t, s)

	// Who did what: the customer's and the agent's messages name them.
	var page struct {
		Events []chainedEvent `json:"events"`
	}
	if code := s.do(t, "GET", "/api/conversations/"+convs[0]+"/events", nil, &page); code != http.StatusOK {
		t.Fatalf("events: %d", code)
	}
	actors := map[string]string{}
	for _, e := range page.Events {
		if e.Metadata.Hash == "" || e.Metadata.Actor.Kind == "" {
			t.Errorf("event %d (%s) has hash %q and actor %+v", e.Sequence, e.Type, e.Metadata.Hash, e.Metadata.Actor)
		}
		var m struct{ Text string }
		_ = json.Unmarshal(e.Data, &m)
		actors[m.Text] = e.Metadata.Actor.Kind + ":" + e.Metadata.Actor.ID
	}
	if !strings.HasPrefix(actors["Hello, I need help"], "customer:") || actors["Of course"] != "staff:agent-1" {
		t.Errorf("actors by message: %v", actors)
	}

	// A connector's customer message names the connector.
	var sms struct {
		Events []chainedEvent `json:"events"`
	}
	if code := s.do(t, "GET", "/api/conversations/"+convs[2]+"/events", nil, &sms); code != http.StatusOK {
		t.Fatalf("events: %d", code)
	}
	kinds := map[string]bool{}
	for _, e := range sms.Events {
		kinds[e.Metadata.Actor.Kind+":"+e.Metadata.Actor.ID] = true
	}
	if !kinds["connector:sms"] || !kinds["staff:agent-1"] {
		t.Errorf("actors of the SMS conversation: %v", kinds)
	}

	// The API: valid, headed by the last event's hash; staff only.
	v := verifyOn(t, s, convs[0])
	if !v.Valid || v.Events != uint64(len(page.Events)) || v.Head != page.Events[len(page.Events)-1].Metadata.Hash || v.Unchained != 0 {
		t.Fatalf("verify = %+v, want valid over %d events", v, len(page.Events))
	}
	if code := s.doAs(t, "", "GET", "/api/conversations/"+convs[0]+"/verify", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("verify without a key: %d, want 401", code)
	}
	var e struct{ Code string }
	if code := s.doAs(t, agentKey, "GET", "/api/conversations/no-such-conversation/verify", nil, &e); code != http.StatusNotFound || e.Code != "conversation_not_found" {
		t.Errorf("verify of an unknown conversation: %d %s", code, e.Code)
	}
	s.stop()

	if out, err := runAudit(t, "--data-dir", dataDir); err != nil || !strings.Contains(out, "every chain holds") {
		t.Fatalf("audit verify of an intact store: %v\n%s", err, out)
	}
	// Every stream the server wrote (routing, presence, claims, connectors,
	// deliveries) is chained from its first event.
	if out, err := runAudit(t, "--data-dir", dataDir, "--all-streams"); err != nil || !strings.Contains(out, "every chain holds") ||
		!strings.Contains(out, " 0 events in 0 streams unchained") {
		t.Fatalf("audit verify --all-streams of an intact store: %v\n%s", err, out)
	}

	// When one byte of the first "Of course" changes: the agent's line, which
	// the store keeps in clear (the customer's lines are sealed, ADR 41).
	stream, seq := tamperLog(t, filepath.Join(dataDir, diskstore.LogFile), []byte("Of course"))
	conv := strings.TrimPrefix(stream, "conversation-")
	out, err := runAudit(t, "--data-dir", dataDir)
	want := "BROKEN " + stream + " at sequence " + strconv.FormatUint(seq, 10) + ":"
	if err == nil || !strings.Contains(out, want) || !strings.Contains(out, "1 broken") {
		t.Fatalf("audit verify after tampering: %v\n%s\nwant %q", err, out, want)
	}
	if out, err := runAudit(t, "--data-dir", dataDir, "--conversation", conv); err == nil || !strings.Contains(out, want) {
		t.Fatalf("audit verify --conversation after tampering: %v\n%s", err, out)
	}
	s = startServer(t, dataDir)
	if v := verifyOn(t, s, conv); v.Valid || v.FirstBadSequence == nil || *v.FirstBadSequence != seq {
		t.Fatalf("verify after tampering = %+v, want the break at %d", v, seq)
	}
	for _, other := range convs {
		if other != conv && !verifyOn(t, s, other).Valid {
			t.Errorf("conversation %s is reported broken too", other)
		}
	}
}

// tamperLog changes one byte of the first occurrence of needle in the
// embedded store's log and rewrites that record's CRC-32C, as someone who
// knows the format would: the store reads the record as intact. It returns
// the record's stream and revision.
func tamperLog(t *testing.T, path string, needle []byte) (string, uint64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(b, needle)
	if at < 0 {
		t.Fatalf("%q is not in the log", needle)
	}
	// The record format (adapters/diskstore/record.go): after the file's
	// magic, frames of length u32 | crc u32 | payload, little endian; the
	// payload holds flags, position, revision, time, id, then the stream
	// as a uvarint length and bytes.
	const magic, header, offRevision, offStream = 8, 8, 8 + 1 + 8, 8 + 1 + 8 + 8 + 8 + 16
	off := magic
	for {
		n := header + int(bin.LittleEndian.Uint32(b[off:]))
		if at < off+n {
			break
		}
		off += n
	}
	frame := b[off : off+header+int(bin.LittleEndian.Uint32(b[off:]))]
	b[at] ^= 0x02 // 'H' becomes 'J'
	bin.LittleEndian.PutUint32(frame[4:], crc32.Checksum(frame[header:], crc32.MakeTable(crc32.Castagnoli)))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	l, k := bin.Uvarint(frame[offStream:])
	return string(frame[offStream+k : offStream+k+int(l)]), bin.LittleEndian.Uint64(frame[offRevision:])
}
