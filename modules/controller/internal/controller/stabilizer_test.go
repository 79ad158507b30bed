package controller

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

func TestStabilizer(t *testing.T) {
	a := types.NamespacedName{Namespace: "ns", Name: "a"}
	b := types.NamespacedName{Namespace: "ns", Name: "b"}
	type step struct {
		key           types.NamespacedName
		at            time.Duration // since start
		reset         bool
		wantAllowed   bool
		wantRemaining time.Duration
	}
	cases := map[string]struct {
		window time.Duration
		steps  []step
	}{
		"zero window allows at once": {
			steps: []step{{key: a, wantAllowed: true}},
		},
		"allowed once the window elapsed, then a new window": {
			window: time.Minute,
			steps: []step{
				{key: a, at: 0, wantRemaining: time.Minute},
				{key: a, at: 59 * time.Second, wantRemaining: time.Second},
				{key: a, at: time.Minute, wantAllowed: true},
				{key: a, at: time.Minute + time.Second, wantRemaining: time.Minute},
			},
		},
		"reset restarts the window": {
			window: time.Minute,
			steps: []step{
				{key: a, at: 0, wantRemaining: time.Minute},
				{key: a, at: 50 * time.Second, reset: true},
				{key: a, at: 70 * time.Second, wantRemaining: time.Minute},
			},
		},
		"variants are independent": {
			window: time.Minute,
			steps: []step{
				{key: a, at: 0, wantRemaining: time.Minute},
				{key: b, at: 30 * time.Second, wantRemaining: time.Minute},
				{key: a, at: time.Minute, wantAllowed: true},
				{key: b, at: time.Minute, wantRemaining: 30 * time.Second},
			},
		},
	}
	start := time.Unix(1_700_000_000, 0)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := NewStabilizer(tc.window)
			for i, st := range tc.steps {
				if st.reset {
					s.Reset(st.key)
					if s.Pending(st.key) {
						t.Errorf("step %d: still pending after Reset", i)
					}
					continue
				}
				allowed, remaining := s.ScaleDown(st.key, start.Add(st.at))
				if allowed != st.wantAllowed || remaining != st.wantRemaining {
					t.Errorf("step %d: ScaleDown(%s, +%s) = (%t, %s), want (%t, %s)",
						i, st.key, st.at, allowed, remaining, st.wantAllowed, st.wantRemaining)
				}
			}
		})
	}
}
