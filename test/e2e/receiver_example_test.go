package e2e

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestREADMEReceiverRunsAsWritten builds the webhook receiver of the
// README's Operations section as it is written there, points a webhook at
// it, and checks that it takes Parley's signed deliveries and refuses a
// forged one.
func TestREADMEReceiverRunsAsWritten(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- receiver.go -->\n```go\n")
	src, _, ok2 := strings.Cut(rest, "\n```")
	if !ok || !ok2 {
		t.Fatal("the README has no receiver.go block")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "receiver.go"), []byte(src+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "receiver")
	build := exec.Command("go", "build", "-o", bin, "receiver.go")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the README's receiver does not build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	out := &syncBuffer{}
	recv := exec.Command(bin)
	recv.Env = append(os.Environ(), "PARLEY_WEBHOOK_SECRET="+webhookSecret, "ADDR="+addr)
	recv.Stdout, recv.Stderr = out, out
	if err := recv.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { recv.Wait(); close(done) }()
	t.Cleanup(func() { terminate(recv, done, 5*time.Second) })
	eventually(t, "the receiver to listen", func() bool { return strings.Contains(out.String(), "taking webhooks") })

	s := startServer(t, t.TempDir(), append([]string{"--webhook", "log=http://" + addr + "/parley"}, webhookFlags...)...)
	conv := webhookChat(t, s, 2)
	eventually(t, "the receiver to print a message", func() bool {
		return strings.Contains(out.String(), "log ChatMessage") && strings.Contains(out.String(), conv)
	})
	if strings.Contains(out.String(), "bad signature") {
		t.Errorf("the receiver refused a delivery:\n%s", out.String())
	}

	forged, _ := http.NewRequest("POST", "http://"+addr+"/parley", strings.NewReader(`{"type":"ChatMessage"}`))
	forged.Header.Set("X-Parley-Signature", "sha256=00")
	resp, err := http.DefaultClient.Do(forged)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a forged delivery got %d, want 401", resp.StatusCode)
	}
}
