package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/xrayllm/xray/weights"
)

// originalCheckpoint is where the original app kept its model, relative to
// its project folder; used when neither -weights nor $XRAY_WEIGHTS is set.
const originalCheckpoint = "models/best_resnet34_addval.pth"

// source returns what the model flags name, without downloading: -weights
// (whose default is $XRAY_WEIGHTS), a file or an http(s) URL, else the
// original app's models/best_resnet34_addval.pth in the working directory.
func (m *modelFlags) source() (string, error) {
	if m.weights == "" {
		if st, err := os.Stat(originalCheckpoint); err == nil && st.Mode().IsRegular() {
			return originalCheckpoint, nil
		}
		wd, _ := os.Getwd()
		return "", fmt.Errorf("-weights is required: no -weights flag, XRAY_WEIGHTS is not set, and there is no %s in the working directory %s",
			filepath.FromSlash(originalCheckpoint), wd)
	}
	if m.sha256 != "" && !weights.IsURL(m.weights) {
		return "", errors.New("-weights-sha256 applies to a -weights URL only")
	}
	return m.weights, nil
}

// checkpoint returns the local file of the model the flags name,
// downloading a URL into the cache ($XRAY_CACHE, else the user's cache
// directory) first, with a progress bar when stderr is a terminal.
func (m *modelFlags) checkpoint(ctx context.Context) (string, error) {
	src, err := m.source()
	if err != nil || !weights.IsURL(src) {
		return src, err
	}
	opts := &weights.FetchOptions{CacheDir: m.env.getenv("XRAY_CACHE"), SHA256: m.sha256}
	if bar := downloadBar(m.env.stderr); bar != nil {
		opts.Progress = bar.update
		defer bar.finish()
	}
	return weights.Fetch(ctx, src, opts)
}

// checkpointUntilSignal is checkpoint with a context that SIGINT and
// SIGTERM cancel, as main's is: the commands' open methods do not take
// their context (yet), and a download must stop on Ctrl-C.
func (m *modelFlags) checkpointUntilSignal() (string, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return m.checkpoint(ctx)
}

// downloadProgress draws a download's progress bar, made when the first
// bytes arrive and the total is known.
type downloadProgress struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

// downloadBar returns a progress bar on w when w is a terminal, else nil.
func downloadBar(w io.Writer) *downloadProgress {
	if !isTerminal(w) {
		return nil
	}
	return &downloadProgress{w: w}
}

// update is weights.FetchOptions.Progress.
func (p *downloadProgress) update(received, total int64) {
	if p.bar == nil {
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription("downloading the checkpoint"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowTotalBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionFullWidth(),
		)
	}
	_ = p.bar.Set64(received)
}

// finish ends the bar's line, if one was drawn.
func (p *downloadProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Exit()
		fmt.Fprintln(p.w)
	}
}
