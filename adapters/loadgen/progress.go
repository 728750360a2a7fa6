package loadgen

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress draws one status line, redrawn in place, on a terminal; on
// anything else (a file, CI, a test) it draws nothing.
type progress struct {
	out  io.Writer
	on   bool
	mu   sync.Mutex
	last time.Time
	drew bool
}

func newProgress(out io.Writer, want bool) *progress {
	f, ok := out.(*os.File)
	return &progress{out: out, on: want && ok && term.IsTerminal(int(f.Fd()))}
}

// show draws a status line, at most ten times a second unless force.
func (p *progress) show(force bool, format string, args ...any) {
	if p == nil || !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !force && time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.drew = time.Now(), true
	line := fmt.Sprintf(format, args...)
	fmt.Fprintf(p.out, "\r%-100s", line)
}

// bar renders done out of total as [#####.....].
func bar(done, total float64) string {
	const width = 20
	n := 0
	if total > 0 {
		n = min(width, int(width*done/total))
	}
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}

// done ends the status line, so what follows starts on its own.
func (p *progress) done() {
	if p == nil || !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drew {
		fmt.Fprintf(p.out, "\r%-100s\r", "")
		p.drew = false
	}
}
