package xray

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"

	"github.com/xrayllm/xray/preprocess"
	"github.com/xrayllm/xray/resnet"
)

// Opener opens the i-th of the inputs of PredictAll. The reader is closed
// once the image is decoded.
type Opener func(i int) (io.ReadCloser, error)

// Files returns an Opener for image files, the i-th input being paths[i].
func Files(paths []string) Opener {
	return func(i int) (io.ReadCloser, error) {
		if i < 0 || i >= len(paths) {
			return nil, fmt.Errorf("%w: %d of %d files", errNoInput, i, len(paths))
		}
		return os.Open(paths[i])
	}
}

// PredictAll classifies n images, as many calls of Predict would, but
// faster: the next images are decoded and preprocessed on other goroutines
// while the network runs, and they are batched into graph runs of the
// model's max batch. each is called once per input, in
// input order, with the prediction or the error of that input (a file that
// cannot be opened or decoded fails alone); an error returned by each
// stops the run and is returned. PredictAll returns ctx's error when it is
// cancelled.
func (a *Analyzer) PredictAll(ctx context.Context, n int, open Opener, each func(i int, p resnet.Prediction, err error) error) error {
	if n <= 0 {
		return nil
	}
	batch := a.model.MaxBatch()
	d, ctx, stop := a.startDecoding(ctx, n, open)
	defer stop()

	x := make([]float32, 0, batch*3*resnet.InputSize*resnet.InputSize)
	for i := 0; i < n; {
		ready, err := d.take(ctx, i, batch)
		if err != nil {
			return err
		}
		ps, runErr := a.predictReady(ctx, ready, x[:0])
		if runErr != nil && ctx.Err() != nil {
			return fmt.Errorf("xray: %w", ctx.Err())
		}
		for k, in := range ready {
			p, err := in.pred(ps, runErr)
			if err := each(i+k, p, err); err != nil {
				return err
			}
		}
		i += len(ready)
	}
	return nil
}

// startDecoding starts decoding the n inputs on other goroutines, ahead
// of the network; stop cancels the returned context and waits for them.
func (a *Analyzer) startDecoding(ctx context.Context, n int, open Opener) (d *decoder, dctx context.Context, stop func()) {
	dctx, cancel := context.WithCancel(ctx)
	d = newDecoder(n, 2*a.model.MaxBatch(), open, &a.pre)
	go d.feed(dctx)
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Go(func() { d.work(dctx) })
	}
	return d, dctx, func() { cancel(); wg.Wait() }
}

// predictReady runs the network once on the decoded inputs among ready;
// the k-th of those gets the k-th prediction (see decoded.pred).
func (a *Analyzer) predictReady(ctx context.Context, ready []decoded, x []float32) ([]resnet.Prediction, error) {
	for _, in := range ready {
		if in.err == nil {
			x = append(x, in.tensor...)
		}
	}
	if len(x) == 0 {
		return nil, nil
	}
	ps, err := a.model.PredictTensor(ctx, x)
	if err != nil {
		return nil, fmt.Errorf("xray: %w", err)
	}
	return ps, nil
}

// decoded is one preprocessed input, or why it could not be read; slot is
// its position among the decoded inputs of its batch.
type decoded struct {
	tensor []float32
	err    error
	slot   int
}

// pred returns the input's own prediction from its batch's predictions.
func (d decoded) pred(ps []resnet.Prediction, runErr error) (resnet.Prediction, error) {
	switch {
	case d.err != nil:
		return resnet.Prediction{}, d.err
	case runErr != nil:
		return resnet.Prediction{}, runErr
	}
	return ps[d.slot], nil
}

// decoder preprocesses inputs ahead of the network, at most ahead of them
// waiting at once.
type decoder struct {
	open  Opener
	pre   *preprocess.Options
	jobs  chan int
	done  []chan decoded
	ahead chan struct{}
}

func newDecoder(n, ahead int, open Opener, pre *preprocess.Options) *decoder {
	d := &decoder{open: open, pre: pre, jobs: make(chan int), done: make([]chan decoded, n), ahead: make(chan struct{}, ahead)}
	for i := range d.done {
		d.done[i] = make(chan decoded, 1)
	}
	return d
}

// feed hands out the inputs in order, no more than ahead of them before
// the network has taken them.
func (d *decoder) feed(ctx context.Context) {
	defer close(d.jobs)
	for i := range d.done {
		select {
		case d.ahead <- struct{}{}:
		case <-ctx.Done():
			return
		}
		select {
		case d.jobs <- i:
		case <-ctx.Done():
			return
		}
	}
}

// work decodes the inputs it is handed until there are no more.
func (d *decoder) work(ctx context.Context) {
	for i := range d.jobs {
		if ctx.Err() != nil {
			return
		}
		t, err := d.load(i)
		d.done[i] <- decoded{tensor: t, err: err}
	}
}

// load opens, decodes and preprocesses input i.
func (d *decoder) load(i int) ([]float32, error) {
	r, err := d.open(i)
	if err != nil {
		return nil, fmt.Errorf("xray: %w", err)
	}
	in, err := preprocess.Load(r, d.pre)
	if cerr := r.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("xray: %w", err)
	}
	return in.Tensor, nil
}

// take waits for the next batch of inputs from i on: batch of them, or
// what is left. Batches of one size (and one smaller last batch) keep the
// model's pool to two graphs; decoding runs ahead of the network, so the
// wait is short.
func (d *decoder) take(ctx context.Context, i, batch int) ([]decoded, error) {
	var out []decoded
	slot := 0
	for j := i; j < min(i+batch, len(d.done)); j++ {
		select {
		case in := <-d.done[j]:
			<-d.ahead
			if in.err == nil {
				in.slot, slot = slot, slot+1
			}
			out = append(out, in)
		case <-ctx.Done():
			return nil, fmt.Errorf("xray: %w", ctx.Err())
		}
	}
	return out, nil
}

// errNoInput is returned by Files' Opener for an index it has no file for.
var errNoInput = errors.New("xray: no such input")
