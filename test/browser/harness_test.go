// Package browser drives the widget and the console in a real Chromium
// against a real parley serve process.
package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

var (
	// binary is the parley binary, built once for the package.
	binary string
	// browserCtx is the one Chromium process of the package; each test
	// opens its own browser contexts (separate storage) in it.
	browserCtx context.Context
	// noBrowser says why there is no browser, when there is none.
	noBrowser string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "parley-browser-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "parley")
	build := exec.Command("go", "build", "-o", binary, "github.com/parley-chat/parley/cmd/parley")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build parley:", err)
		return 1
	}
	chromium := findChromium()
	if chromium == "" {
		noBrowser = "no chromium on PATH: run `bash .ci/deps` (go tool task deps) to install Debian's chromium"
		return m.Run()
	}
	// The flags of a machine without internet: Chromium's background
	// networking would otherwise fail and stall it.
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.UserDataDir(filepath.Join(dir, "chromium")),
		chromedp.WindowSize(1280, 800),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "start chromium:", err)
		return 1
	}
	browserCtx = ctx
	return m.Run()
}

func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// tab is one page in a browser context of its own (its own storage, like
// another person's browser). Dialogs (alert) and uncaught errors are
// recorded, so a test can check that no script a user typed ran.
type tab struct {
	t       *testing.T
	ctx     context.Context
	mu      sync.Mutex
	dialogs []string
	errors  []string
}

func newTab(t *testing.T) *tab {
	t.Helper()
	if noBrowser != "" {
		t.Skip(noBrowser)
	}
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tb := &tab{t: t, ctx: ctx}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a browser context: %v", err)
	}
	err := chromedp.Listen(ctx, func(ev any) {
		// This runs in the tab's read loop: record, and answer dialogs
		// from another goroutine.
		switch e := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			tb.mu.Lock()
			tb.dialogs = append(tb.dialogs, e.Message)
			tb.mu.Unlock()
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		case *runtime.EventExceptionThrown:
			tb.mu.Lock()
			tb.errors = append(tb.errors, exceptionText(e.ExceptionDetails))
			tb.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	return tb
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "?"
	}
	if d.Exception != nil && d.Exception.Description != "" {
		return d.Exception.Description
	}
	return d.Text
}

// do runs actions with a bound, failing the test on error.
func (b *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v (page errors: %v)", err, b.pageErrors())
	}
}

// eval evaluates a JavaScript expression.
func eval[T any](b *tab, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v (page errors: %v)", expr, err, b.pageErrors())
	}
	return v
}

// waitFor polls a JavaScript expression until it is true, for at most 20 s.
func (b *tab) waitFor(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waited 20s for %s (%s); err %v; page errors: %v", what, expr, err, b.pageErrors())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *tab) pageErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string{}, b.errors...)
}

func (b *tab) dialogsSeen() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string{}, b.dialogs...)
}

// inWidget selects an element in the widget's shadow root.
func inWidget(sel string) chromedp.JSPath {
	return chromedp.JSPath(fmt.Sprintf(`document.querySelector('[data-parley-widget]').shadowRoot.querySelector(%q)`, sel))
}

// widgetJS evaluates with `w`, the widget's shadow root, in scope.
func widgetJS(body string) string {
	return `(() => { const h = document.querySelector('[data-parley-widget]'); const w = h && h.shadowRoot; if (!w) return null; ` + body + ` })()`
}

// server is a running parley serve process.
type server struct {
	cmd  *exec.Cmd
	addr string
	logs *strings.Builder
	mu   sync.Mutex
	done chan struct{}
}

// startServer starts parley serve on a free loopback port with a fresh
// data directory and waits until it answers /healthz.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	s := &server{addr: freeAddr(t), logs: &strings.Builder{}, done: make(chan struct{})}
	all := append([]string{"serve", "--addr", s.addr, "--data-dir", t.TempDir(), "--log-level", "warn"}, args...)
	s.cmd = exec.Command(binary, all...)
	w := &lockedWriter{mu: &s.mu, w: s.logs}
	s.cmd.Stdout, s.cmd.Stderr = w, w
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start parley: %v", err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			s.mu.Lock()
			t.Logf("parley logs:\n%s", s.logs.String())
			s.mu.Unlock()
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(s.url("/healthz")); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-s.done:
			t.Fatalf("parley exited before it was ready:\n%s", s.logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("parley not ready after 30s")
		}
	}
}

func (s *server) url(path string) string { return "http://" + s.addr + path }

type lockedWriter struct {
	mu *sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
