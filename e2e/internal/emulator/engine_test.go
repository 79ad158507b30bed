package emulator

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func newEngine(t *testing.T, cfg Config) (*Engine, *clocktesting.FakeClock) {
	t.Helper()
	clk := clocktesting.NewFakeClock(t0)
	e, err := New(cfg, clk)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e, clk
}

// gauges are the parts of a snapshot that the queueing model determines.
type gauges struct {
	Running, Waiting, KVUsed int
	KVUsage                  float64
}

func gaugesOf(s Snapshot) gauges {
	return gauges{Running: s.Running, Waiting: s.Waiting, KVUsed: s.KVCacheUsedTokens, KVUsage: s.KVCacheUsage()}
}

func submit(t *testing.T, e *Engine, reqs ...Request) []*Ticket {
	t.Helper()
	tickets := make([]*Ticket, len(reqs))
	for i, r := range reqs {
		tk, err := e.Submit(r)
		if err != nil {
			t.Fatalf("Submit(%+v): %v", r, err)
		}
		tickets[i] = tk
	}
	return tickets
}

func repeat(r Request, n int) []Request {
	out := make([]Request, n)
	for i := range out {
		out[i] = r
	}
	return out
}

// TestAdmission submits requests at one instant and checks what runs.
func TestAdmission(t *testing.T) {
	cases := map[string]struct {
		kvTokens, maxNumSeqs int
		requests             []Request
		want                 gauges
	}{
		"below max-num-seqs": {
			kvTokens: 10000, maxNumSeqs: 4,
			requests: repeat(Request{PromptTokens: 100, OutputTokens: 10}, 3),
			want:     gauges{Running: 3, Waiting: 0, KVUsed: 330, KVUsage: 0.033},
		},
		"above max-num-seqs: max run, the rest wait": {
			kvTokens: 10000, maxNumSeqs: 4,
			requests: repeat(Request{PromptTokens: 100, OutputTokens: 10}, 10),
			want:     gauges{Running: 4, Waiting: 6, KVUsed: 440, KVUsage: 0.044},
		},
		"KV cache limits admission": {
			kvTokens: 1000, maxNumSeqs: 100,
			requests: repeat(Request{PromptTokens: 200, OutputTokens: 100}, 5),
			want:     gauges{Running: 3, Waiting: 2, KVUsed: 900, KVUsage: 0.9},
		},
		"KV cache exactly full": {
			kvTokens: 900, maxNumSeqs: 100,
			requests: repeat(Request{PromptTokens: 200, OutputTokens: 100}, 3),
			want:     gauges{Running: 3, Waiting: 0, KVUsed: 900, KVUsage: 1},
		},
		"a head that does not fit blocks smaller requests behind it": {
			kvTokens: 1000, maxNumSeqs: 100,
			requests: []Request{{PromptTokens: 500, OutputTokens: 100}, {PromptTokens: 400, OutputTokens: 100}, {PromptTokens: 50, OutputTokens: 50}},
			want:     gauges{Running: 1, Waiting: 2, KVUsed: 600, KVUsage: 0.6},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e, _ := newEngine(t, Config{KVCacheTokens: tc.kvTokens, MaxNumSeqs: tc.maxNumSeqs, PrefillTokensPerSecond: 1000, DecodeTokensPerSecond: 10})
			submit(t, e, tc.requests...)
			if diff := cmp.Diff(tc.want, gaugesOf(e.Snapshot())); diff != "" {
				t.Errorf("gauges (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSubmitRejects(t *testing.T) {
	e, _ := newEngine(t, Config{KVCacheTokens: 100, MaxNumSeqs: 1, PrefillTokensPerSecond: 1, DecodeTokensPerSecond: 1})
	cases := map[string]struct {
		req  Request
		want error
	}{
		"no prompt":             {req: Request{PromptTokens: 0, OutputTokens: 1}, want: ErrInvalidRequest},
		"no output":             {req: Request{PromptTokens: 1, OutputTokens: 0}, want: ErrInvalidRequest},
		"larger than the cache": {req: Request{PromptTokens: 90, OutputTokens: 11}, want: ErrTooLarge},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := e.Submit(tc.req)
			if !errors.Is(err, tc.want) {
				t.Errorf("Submit(%+v): error %v, want %v", tc.req, err, tc.want)
			}
		})
	}
	if diff := cmp.Diff(gauges{}, gaugesOf(e.Snapshot())); diff != "" {
		t.Errorf("rejected requests changed the engine (-want +got):\n%s", diff)
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	_, err := New(Config{}, clocktesting.NewFakeClock(t0))
	if err == nil {
		t.Fatal("New(Config{}): no error")
	}
}
