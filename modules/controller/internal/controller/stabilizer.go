package controller

import (
	"fmt"
	"sync"
	"time"

	"github.com/wva-project/wva/modules/capacity"
)

// Scale-down timeline (the same in both actuation modes):
//
//  1. The first pass that finds scale-down safe starts the window.
//  2. Every pass within the window that still finds it safe keeps it; one
//     that does not (a scale-up signal, a saturated replica, a replica in
//     flight or without metrics, too little spare capacity with one replica
//     fewer) ends it, and the next safe pass starts a new one.
//  3. The first pass at or after the end of the window (the model is
//     requeued for that moment) takes one replica off the most expensive
//     variant above its minReplicas: the step.
//  4. The lowered desired count then holds, in status and in
//     wva_desired_replicas, until the target reaches it or a pass finds
//     scale-down no longer safe (the desired count then returns to the
//     target's). In scale actuation WVA writes it through /scale, so the
//     target reaches it at the step; in metrics actuation an HPA or KEDA
//     takes it there.
//  5. The window of the next step starts when the target reaches the
//     lowered count: steps are at least one window apart.
//
// Scale-up is never delayed by the window: it ends the window at once.

// heldStep is a step down the target has not reached yet.
type heldStep struct {
	variant string
	desired int32
	since   time.Time
}

// modelState is what the controller remembers of a model between passes.
// It lives in memory: a restarted controller waits one window again.
type modelState struct {
	downSince time.Time // start of the current scale-down window; zero: none
	hold      *heldStep
	// unlisted is when a variant's target was first seen counting more
	// replicas than it has pods (the pods are not created yet).
	unlisted map[string]time.Time
	// events is the last hold or missing-metrics Event per VariantAutoscaling,
	// so that each is recorded once, not on every pass.
	events map[string]string
	// variants are the VariantAutoscalings of the last pass, so that the
	// series of one that left the model are removed.
	variants map[string]bool
}

// states holds the modelState of every model, and the configuration each
// model's last pass used.
type states struct {
	mu     sync.Mutex
	m      map[ModelKey]*modelState
	config map[ModelKey]capacity.CapacityScalingConfig
}

// usedConfig records the configuration a pass over key used.
func (s *states) usedConfig(key ModelKey, cfg capacity.CapacityScalingConfig) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.config == nil {
		s.config = map[ModelKey]capacity.CapacityScalingConfig{}
	}
	s.config[key] = cfg
}

// configChanged reports whether key's last pass used another configuration
// than cfg (or there was none).
func (s *states) configChanged(key ModelKey, cfg capacity.CapacityScalingConfig) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	used, ok := s.config[key]
	return !ok || used != cfg
}

// get returns the state of key, creating it. A model's passes never run
// concurrently (the work queue serializes a key), so the caller owns it.
func (s *states) get(key ModelKey) *modelState {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[ModelKey]*modelState{}
	}
	st, ok := s.m[key]
	if !ok {
		st = &modelState{unlisted: map[string]time.Time{}, events: map[string]string{}, variants: map[string]bool{}}
		s.m[key] = st
	}
	return st
}

func (s *states) forget(key ModelKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	delete(s.config, key)
}

// step is the outcome of stabilization for one variant.
type step struct {
	desired   int32
	direction capacity.Direction
	reason    string
}

// stabilized is the outcome of stabilization for the model.
type stabilized struct {
	steps     map[string]step // by variant name
	requeueIn time.Duration   // > 0 while a window runs
}

// stabilize applies the scale-down timeline to the analyzer's decisions.
// current is each variant's target replicas; outOfBounds reports whether a
// variant is being brought back within its bounds (applied at once).
func (st *modelState) stabilize(md capacity.ModelDecision, outOfBounds bool, window time.Duration, now time.Time) stabilized {
	out := stabilized{steps: make(map[string]step, len(md.Decisions))}
	asIs := func(reason func(capacity.Decision) string) {
		for _, d := range md.Decisions {
			out.steps[d.Variant] = step{desired: d.Desired, direction: d.Direction, reason: reason(d)}
		}
	}
	noChange := func(reason string) {
		for _, d := range md.Decisions {
			out.steps[d.Variant] = step{desired: d.Current, direction: capacity.DirectionNone, reason: reason}
		}
	}
	same := func(d capacity.Decision) string { return d.Reason }
	a := md.Analysis
	if outOfBounds || !a.ScaleDownSafe || a.ScaleUp {
		st.downSince, st.hold = time.Time{}, nil
		asIs(same)
		return out
	}

	if st.hold != nil {
		current, known := currentOf(md, st.hold.variant)
		if known && current > st.hold.desired {
			h := *st.hold
			noChange(a.Reason)
			out.steps[h.variant] = step{desired: h.desired, direction: capacity.DirectionDown,
				reason: fmt.Sprintf("%s; scale-down of variant %s to %d replicas decided %s ago holds until the target reaches it",
					a.Reason, h.variant, h.desired, roundDuration(now.Sub(h.since)))}
			return out
		}
		// Reached (or the variant left the model): the next window starts now.
		st.hold, st.downSince = nil, now
	}

	if st.downSince.IsZero() {
		st.downSince = now
	}
	if remaining := window - now.Sub(st.downSince); remaining > 0 {
		noChange(fmt.Sprintf("%s; scale-down held for the stabilization window (%s remaining)", a.Reason, roundDuration(remaining)))
		out.requeueIn = remaining
		return out
	}
	asIs(same)
	for _, d := range md.Decisions {
		if d.Direction == capacity.DirectionDown {
			st.hold = &heldStep{variant: d.Variant, desired: d.Desired, since: now}
			st.downSince = time.Time{}
		}
	}
	return out
}

// reached records that the held step's target now has its desired replicas
// (scale actuation wrote them): the next window starts at now.
func (st *modelState) reached(variant string, now time.Time) {
	if st.hold != nil && st.hold.variant == variant {
		st.hold, st.downSince = nil, now
	}
}

func currentOf(md capacity.ModelDecision, variant string) (int32, bool) {
	for _, d := range md.Decisions {
		if d.Variant == variant {
			return d.Current, true
		}
	}
	return 0, false
}

// unlistedInFlight returns how many of a variant's replicas without a pod
// are still within the startup grace: the first pass that sees the target
// count more replicas than it has pods starts the grace for them.
func (st *modelState) unlistedInFlight(variant string, unlisted int32, grace time.Duration, now time.Time) (int32, time.Time) {
	if unlisted <= 0 {
		delete(st.unlisted, variant)
		return 0, time.Time{}
	}
	since, ok := st.unlisted[variant]
	if !ok {
		since = now
		st.unlisted[variant] = now
	}
	if now.Sub(since) < grace {
		return unlisted, since.Add(grace)
	}
	return 0, time.Time{}
}
