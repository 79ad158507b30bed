package controller

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/wva-project/wva/modules/capacity"
)

// Timing is what tells a replica that serves load from one that is still
// capacity in flight.
type Timing struct {
	// StartupGrace is how long a replica that is not Ready yet counts as
	// starting (capacity in flight); after it, the replica counts as missing
	// metrics.
	StartupGrace time.Duration
	// Settle is how long a replica that just became Ready still counts as in
	// flight: its metrics do not show its share of the load until Prometheus
	// has scraped it and the load balancer has sent it requests (one scrape
	// interval plus one reconcile interval).
	Settle time.Duration
}

// replicaState is what a pod contributes to the analysis.
type replicaState int

const (
	replicaServing  replicaState = iota // Ready and settled: its metrics count
	replicaStarting                     // not Ready, within the startup grace: in flight
	replicaSettling                     // Ready for less than the settle time: in flight
	replicaStuck                        // not Ready after the startup grace: missing metrics
)

// podInfo is what the controller reads of a pod (the cache keeps no more).
type podInfo struct {
	name       string
	created    time.Time
	ready      bool
	readySince time.Time
}

func podInfoOf(p *corev1.Pod) podInfo {
	info := podInfo{name: p.Name, created: p.CreationTimestamp.Time}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			info.ready = c.Status == corev1.ConditionTrue
			info.readySince = c.LastTransitionTime.Time
		}
	}
	return info
}

// classify tells what a pod is at now, and until when it stays so (zero when
// only a change of the pod itself can change it).
func (t Timing) classify(p podInfo, now time.Time) (replicaState, time.Time) {
	switch {
	case p.ready && now.Sub(p.readySince) < t.Settle:
		return replicaSettling, p.readySince.Add(t.Settle)
	case p.ready:
		return replicaServing, time.Time{}
	case now.Sub(p.created) < t.StartupGrace:
		return replicaStarting, p.created.Add(t.StartupGrace)
	default:
		return replicaStuck, time.Time{}
	}
}

// replicaNote explains why a pod is in flight or left out of the analysis.
type replicaNote struct {
	pod   string
	why   string
	held  bool // in flight (true) or missing metrics (false)
	owner string
}

// variantReplicas is the analyzer's view of one variant's pods at now.
type variantReplicas struct {
	metrics  []capacity.ReplicaMetrics
	inFlight int32
	notes    []replicaNote
	next     time.Time // the earliest time a pod changes state by time alone
}

// replicasOf classifies the pods of one variant and joins the serving ones
// with their metrics (by pod name). unlistedInFlight is the number of
// replicas the target counts but that have no pod yet and are still within
// the startup grace (see modelState.unlisted).
func (t Timing) replicasOf(variant string, pods []podInfo, metrics map[string]capacity.ReplicaMetrics, now time.Time) variantReplicas {
	var out variantReplicas
	for _, p := range pods {
		state, until := t.classify(p, now)
		if !until.IsZero() && (out.next.IsZero() || until.Before(out.next)) {
			out.next = until
		}
		switch state {
		case replicaStarting:
			out.inFlight++
			out.notes = append(out.notes, replicaNote{pod: p.name, held: true, owner: variant,
				why: fmt.Sprintf("starting: not Ready for %s of the %s startup grace period", roundDuration(now.Sub(p.created)), t.StartupGrace)})
		case replicaSettling:
			out.inFlight++
			out.notes = append(out.notes, replicaNote{pod: p.name, held: true, owner: variant,
				why: fmt.Sprintf("Ready for %s, settling for %s before its metrics count", roundDuration(now.Sub(p.readySince)), t.Settle)})
		case replicaStuck:
			out.metrics = append(out.metrics, capacity.ReplicaMetrics{Pod: p.name})
			out.notes = append(out.notes, replicaNote{pod: p.name, owner: variant,
				why: fmt.Sprintf("not Ready after the %s startup grace period", t.StartupGrace)})
		default:
			m, ok := metrics[p.name]
			m.Pod = p.name
			if !ok || !m.Complete() {
				out.notes = append(out.notes, replicaNote{pod: p.name, owner: variant, why: "Ready, but reports no metrics"})
			}
			out.metrics = append(out.metrics, m)
		}
	}
	return out
}

// maxNamedPods bounds the pods a reason names; the rest are counted.
const maxNamedPods = 5

// describeNotes lists the pods in flight and those left out, with why, for a
// status reason or an Event: "in flight: a-1 (starting: ...); without
// metrics: a-2 (...)". It returns "" when there is nothing to say.
func describeNotes(notes []replicaNote) string {
	var held, missing []string
	for _, n := range notes {
		s := n.pod + " (" + n.why + ")"
		if n.held {
			held = append(held, s)
		} else {
			missing = append(missing, s)
		}
	}
	var parts []string
	if len(held) > 0 {
		parts = append(parts, "in flight: "+namedList(held))
	}
	if len(missing) > 0 {
		parts = append(parts, "without metrics (never counted as idle, blocks scale-down): "+namedList(missing))
	}
	return strings.Join(parts, "; ")
}

func namedList(items []string) string {
	if len(items) <= maxNamedPods {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:maxNamedPods], ", ") + fmt.Sprintf(" and %d more", len(items)-maxNamedPods)
}

// roundDuration prints d to the second (to the millisecond below a second).
func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}
