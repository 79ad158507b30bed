package emulator

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// timeline is a ticket's Result as offsets from t0, or Aborted.
type timeline struct {
	Arrived, Admitted, FirstToken, Finished time.Duration
	Aborted                                 bool
}

func timelineOf(tk *Ticket) timeline {
	r, ok := tk.Result()
	if !ok {
		return timeline{Arrived: r.Arrived.Sub(t0), Aborted: true}
	}
	return timeline{r.Arrived.Sub(t0), r.Admitted.Sub(t0), r.FirstToken.Sub(t0), r.Finished.Sub(t0), false}
}

// step happens at offset at from t0: submissions, then cancellations (by
// submission index), then a look at the gauges.
type step struct {
	at     time.Duration
	submit []Request
	cancel []int
	want   gauges
}

const s = time.Second

// With prefill 100 tokens/s and decode 10 tokens/s, a request of 100 prompt
// and 10 output tokens takes 1s to its first token and 2s in all.
var (
	short  = Request{PromptTokens: 100, OutputTokens: 10} // 1s + 1s
	longer = Request{PromptTokens: 200, OutputTokens: 10} // 2s + 1s
	wordy  = Request{PromptTokens: 100, OutputTokens: 20} // 1s + 2s
)

// TestTimeline plays scripts of arrivals and cancellations on a fake clock
// and checks the gauges at each step and every request's timeline.
func TestTimeline(t *testing.T) {
	cases := map[string]struct {
		kvTokens, maxNumSeqs int
		steps                []step
		want                 []timeline
	}{
		"one slot serves in arrival order; latency includes queue time": {
			kvTokens: 10000, maxNumSeqs: 1,
			steps: []step{
				{at: 0, submit: []Request{short, longer, wordy}, want: gauges{Running: 1, Waiting: 2, KVUsed: 110, KVUsage: 0.011}},
				{at: 2*s - 1, want: gauges{Running: 1, Waiting: 2, KVUsed: 110, KVUsage: 0.011}},
				{at: 2 * s, want: gauges{Running: 1, Waiting: 1, KVUsed: 210, KVUsage: 0.021}},
				{at: 5 * s, want: gauges{Running: 1, Waiting: 0, KVUsed: 120, KVUsage: 0.012}},
				{at: 8 * s, want: gauges{}},
			},
			want: []timeline{
				{Arrived: 0, Admitted: 0, FirstToken: 1 * s, Finished: 2 * s},
				{Arrived: 0, Admitted: 2 * s, FirstToken: 4 * s, Finished: 5 * s},
				{Arrived: 0, Admitted: 5 * s, FirstToken: 6 * s, Finished: 8 * s},
			},
		},
		"one big step processes the finishes in order": {
			kvTokens: 10000, maxNumSeqs: 1,
			steps: []step{
				{at: 0, submit: []Request{short, longer, wordy}, want: gauges{Running: 1, Waiting: 2, KVUsed: 110, KVUsage: 0.011}},
				{at: time.Hour, want: gauges{}},
			},
			want: []timeline{
				{Arrived: 0, Admitted: 0, FirstToken: 1 * s, Finished: 2 * s},
				{Arrived: 0, Admitted: 2 * s, FirstToken: 4 * s, Finished: 5 * s},
				{Arrived: 0, Admitted: 5 * s, FirstToken: 6 * s, Finished: 8 * s},
			},
		},
		"later arrivals queue behind earlier ones": {
			kvTokens: 10000, maxNumSeqs: 2,
			steps: []step{
				{at: 0, submit: []Request{short, short}, want: gauges{Running: 2, KVUsed: 220, KVUsage: 0.022}},
				{at: 1 * s, submit: []Request{wordy}, want: gauges{Running: 2, Waiting: 1, KVUsed: 220, KVUsage: 0.022}},
				{at: 1500 * time.Millisecond, submit: []Request{short}, want: gauges{Running: 2, Waiting: 2, KVUsed: 220, KVUsage: 0.022}},
				{at: 2 * s, want: gauges{Running: 2, KVUsed: 230, KVUsage: 0.023}},
				{at: 5 * s, want: gauges{}},
			},
			want: []timeline{
				{Arrived: 0, Admitted: 0, FirstToken: 1 * s, Finished: 2 * s},
				{Arrived: 0, Admitted: 0, FirstToken: 1 * s, Finished: 2 * s},
				{Arrived: 1 * s, Admitted: 2 * s, FirstToken: 3 * s, Finished: 5 * s},
				{Arrived: 1500 * time.Millisecond, Admitted: 2 * s, FirstToken: 3 * s, Finished: 4 * s},
			},
		},
		"KV-limited: the blocked head and the small one behind it start together": {
			kvTokens: 300, maxNumSeqs: 10,
			steps: []step{
				{at: 0, submit: []Request{{PromptTokens: 190, OutputTokens: 10}, {PromptTokens: 140, OutputTokens: 10}, short},
					want: gauges{Running: 1, Waiting: 2, KVUsed: 200, KVUsage: 200.0 / 300}},
				{at: 2900*time.Millisecond - 1, want: gauges{Running: 1, Waiting: 2, KVUsed: 200, KVUsage: 200.0 / 300}},
				{at: 2900 * time.Millisecond, want: gauges{Running: 2, KVUsed: 260, KVUsage: 260.0 / 300}},
				{at: 10 * s, want: gauges{}},
			},
			want: []timeline{
				{Arrived: 0, Admitted: 0, FirstToken: 1900 * time.Millisecond, Finished: 2900 * time.Millisecond},
				{Arrived: 0, Admitted: 2900 * time.Millisecond, FirstToken: 4300 * time.Millisecond, Finished: 5300 * time.Millisecond},
				{Arrived: 0, Admitted: 2900 * time.Millisecond, FirstToken: 3900 * time.Millisecond, Finished: 4900 * time.Millisecond},
			},
		},
		"a cancelled waiting request leaves the queue": {
			kvTokens: 10000, maxNumSeqs: 1,
			steps: []step{
				{at: 0, submit: []Request{short, longer, wordy}, want: gauges{Running: 1, Waiting: 2, KVUsed: 110, KVUsage: 0.011}},
				{at: 1 * s, cancel: []int{1}, want: gauges{Running: 1, Waiting: 1, KVUsed: 110, KVUsage: 0.011}},
				{at: 2 * s, want: gauges{Running: 1, KVUsed: 120, KVUsage: 0.012}},
				{at: 5 * s, want: gauges{}},
			},
			want: []timeline{
				{Arrived: 0, Admitted: 0, FirstToken: 1 * s, Finished: 2 * s},
				{Arrived: 0, Aborted: true},
				{Arrived: 0, Admitted: 2 * s, FirstToken: 3 * s, Finished: 5 * s},
			},
		},
		"a cancelled running request frees its slot and tokens at once": {
			kvTokens: 10000, maxNumSeqs: 1,
			steps: []step{
				{at: 0, submit: []Request{short, wordy}, want: gauges{Running: 1, Waiting: 1, KVUsed: 110, KVUsage: 0.011}},
				{at: 500 * time.Millisecond, cancel: []int{0}, want: gauges{Running: 1, KVUsed: 120, KVUsage: 0.012}},
				{at: 3500 * time.Millisecond, want: gauges{}},
			},
			want: []timeline{
				{Arrived: 0, Aborted: true},
				{Arrived: 0, Admitted: 500 * time.Millisecond, FirstToken: 1500 * time.Millisecond, Finished: 3500 * time.Millisecond},
			},
		},
		"cancelling a blocked head lets the one behind it in": {
			kvTokens: 300, maxNumSeqs: 10,
			steps: []step{
				{at: 0, submit: []Request{{PromptTokens: 190, OutputTokens: 10}, {PromptTokens: 140, OutputTokens: 10}, {PromptTokens: 50, OutputTokens: 10}},
					want: gauges{Running: 1, Waiting: 2, KVUsed: 200, KVUsage: 200.0 / 300}},
				{at: 1 * s, cancel: []int{1}, want: gauges{Running: 2, KVUsed: 260, KVUsage: 260.0 / 300}},
				{at: 10 * s, want: gauges{}},
			},
			want: []timeline{
				{Arrived: 0, Admitted: 0, FirstToken: 1900 * time.Millisecond, Finished: 2900 * time.Millisecond},
				{Arrived: 0, Aborted: true},
				{Arrived: 0, Admitted: 1 * s, FirstToken: 1500 * time.Millisecond, Finished: 2500 * time.Millisecond},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e, clk := newEngine(t, Config{KVCacheTokens: tc.kvTokens, MaxNumSeqs: tc.maxNumSeqs, PrefillTokensPerSecond: 100, DecodeTokensPerSecond: 10})
			var tickets []*Ticket
			for _, st := range tc.steps {
				clk.SetTime(t0.Add(st.at))
				tickets = append(tickets, submit(t, e, st.submit...)...)
				for _, i := range st.cancel {
					if !tickets[i].Cancel() {
						t.Errorf("at %v: Cancel of request %d: false, want true", st.at, i)
					}
				}
				if diff := cmp.Diff(st.want, gaugesOf(e.Snapshot()), cmpopts.EquateApprox(0, 1e-12)); diff != "" {
					t.Errorf("at %v: gauges (-want +got):\n%s", st.at, diff)
				}
			}
			var got []timeline
			for _, tk := range tickets {
				got = append(got, timelineOf(tk))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("timelines (-want +got):\n%s", diff)
			}
		})
	}
}
