package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows on stderr how many of n images eval has classified: a
// progress bar when stderr is a terminal, else a plain line every
// progressEvery images and at the end.
type progress struct {
	bar   *progressbar.ProgressBar // nil when stderr is not a terminal
	w     io.Writer
	n     int
	start time.Time
}

// progressEvery is how many images apart the plain lines are.
const progressEvery = 50

func newProgress(w io.Writer, n int) *progress {
	p := &progress{w: w, n: n, start: time.Now()}
	if isTerminal(w) {
		p.bar = progressbar.NewOptions(n,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("eval"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("images"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// isTerminal reports whether w is a file open on a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// done records that the first k images are classified.
func (p *progress) done(k int) {
	if p.bar != nil {
		_ = p.bar.Set(k)
		return
	}
	if k%progressEvery == 0 || k == p.n {
		ms := float64(time.Since(p.start).Milliseconds()) / float64(k)
		fmt.Fprintf(p.w, "%d/%d images, %.0f ms/image\n", k, p.n, ms)
	}
}

// finish ends the bar, clearing it from the terminal.
func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
