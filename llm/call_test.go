package llm

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/xrayllm/xray/prompt"
)

// TestStreamCancelCancelsRequest cancels a stream after its first chunk,
// against a server that then waits, and checks that the server sees its
// request cancelled, that Stream returns context.Canceled at once and that
// nothing is retried.
func TestStreamCancelCancelsRequest(t *testing.T) {
	backends := map[string]struct {
		chunk     any
		newClient func(*testing.T, *fake) Client
	}{
		"gemini": {gemResp("Hello", ""), func(t *testing.T, f *fake) Client { return newTestGemini(t, f, &sleeper{}, nil) }},
		"openai": {oaDelta("Hello", nil), func(t *testing.T, f *fake) Client { return newTestOpenAI(t, f, &sleeper{}, nil) }},
	}
	for name, b := range backends {
		t.Run(name, func(t *testing.T) {
			cancelled := make(chan struct{})
			f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
				writeSSE(w, b.chunk)
				select {
				case <-r.Context().Done():
					close(cancelled)
				case <-time.After(5 * time.Second):
				}
			})
			c := b.newClient(t, f)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var got []string
			start := time.Now()
			_, err := c.Stream(ctx, testPrompt(t, prompt.English), func(s string) error {
				got = append(got, s)
				cancel()
				return nil
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			select {
			case <-cancelled:
			case <-time.After(2 * time.Second):
				t.Fatal("the server never saw the request cancelled")
			}
			if len(got) != 1 || got[0] != "Hello" || len(f.requests()) != 1 || time.Since(start) > 2*time.Second {
				t.Errorf("chunks %q, %d requests, %s", got, len(f.requests()), time.Since(start))
			}
			f.assertNoKey(t, err)
		})
	}
}

// scripted is an attemptFunc answering attempt n with answers[n] and
// streaming the text when asked to.
func scripted(answers ...answer) attemptFunc {
	n := 0
	return func(ctx context.Context, conv conversation, emit func(string) error) (answer, error) {
		a := answers[min(n, len(answers)-1)]
		n++
		if emit != nil {
			if err := emit(a.text); err != nil {
				return a, err
			}
		}
		return a, nil
	}
}

func testCaller(attempt attemptFunc) caller {
	co := testCallOptions(&sleeper{}).withDefaults()
	return caller{name: "test", cutReason: "cut", max: 10, retry: co.retrier("test"), redact: redactor{secret: testKey}, attempt: attempt}
}

func TestCallerContinuationCallbackErrorStops(t *testing.T) {
	c := testCaller(scripted(answer{text: "one ", finish: "cut"}, answer{text: "two", finish: "stop"}))
	boom := errors.New("client gone")
	calls := 0
	resp, err := c.Stream(context.Background(), prompt.Prompt{User: "u"}, func(string) error {
		calls++
		if calls == 2 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || resp != nil {
		t.Fatalf("resp %+v err %v, want the callback's error", resp, err)
	}
}

func TestCallerEmptyAndCut(t *testing.T) {
	cases := []struct {
		name string
		a    answer
		want error
	}{
		{"empty", answer{text: " ", finish: "stop"}, ErrEmpty},
		{"cut before any text", answer{finish: "cut"}, ErrEmpty},
	}
	for _, tc := range cases {
		calls := 0
		c := testCaller(func(ctx context.Context, conv conversation, emit func(string) error) (answer, error) {
			calls++
			return tc.a, nil
		})
		if _, err := c.Generate(context.Background(), prompt.Prompt{User: "u"}); !errors.Is(err, tc.want) || calls != 1 {
			t.Errorf("%s: err %v after %d calls", tc.name, err, calls)
		}
	}
}

func TestCallerRedactsAndPrefixes(t *testing.T) {
	c := testCaller(func(ctx context.Context, conv conversation, emit func(string) error) (answer, error) {
		return answer{}, &permanent{errors.New("bad key " + testKey)}
	})
	_, err := c.Generate(context.Background(), prompt.Prompt{User: "u"})
	if err == nil || err.Error() != "llm: test: bad key [REDACTED]" {
		t.Errorf("err = %v", err)
	}
}
