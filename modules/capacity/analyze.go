package capacity

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Tolerance is the margin of every threshold comparison the analyzer makes,
// so that values behave like the decimals a user wrote: a spare capacity of
// 0.80-0.70 or 0.30-0.20 is not below a trigger of 0.10 even though binary
// floating point computes 0.0999..., and a KV cache usage of 0.7999999999 is
// at a threshold of 0.80.
const Tolerance = 1e-9

// atLeast reports a >= b within Tolerance.
func atLeast(a, b float64) bool { return a >= b-Tolerance }

// below reports a < b by more than Tolerance.
func below(a, b float64) bool { return a < b-Tolerance }

// ReplicaMetrics are the observed metrics of one replica (pod). A metric
// whose Has flag is false, or whose value is NaN, infinite or negative, is
// missing.
type ReplicaMetrics struct {
	Pod string
	// KvCacheUsage is the fraction of the KV cache in use, 0..1
	// (vllm:kv_cache_usage_perc).
	KvCacheUsage    float64
	HasKvCacheUsage bool
	// QueueLength is the number of waiting requests
	// (vllm:num_requests_waiting).
	QueueLength    float64
	HasQueueLength bool
}

// Analysis is the capacity assessment of a group of replicas.
//
// A replica is saturated if a metric it reports is at or above its threshold
// (KV cache usage >= kvCacheThreshold or queue length >= queueLengthThreshold),
// even if its other metric is missing. A replica with both metrics below the
// thresholds is non-saturated and contributes spare capacity: the spare KV
// capacity is kvCacheThreshold minus its usage, the spare queue capacity
// queueLengthThreshold minus its queue length. Any other replica has missing
// metrics: it is never counted as idle, contributes no spare capacity and
// blocks scale-down.
type Analysis struct {
	// Replicas is the number of replicas analyzed, in-flight ones included.
	Replicas int
	// InFlight is the number of replicas that are still starting (see
	// Variant.InFlight): capacity that was added but does not serve its share
	// of the load yet. They report no metrics the analysis uses and block
	// scale-down; AnalyzeModel holds further scale-up while there are any.
	InFlight int
	// WithMetrics is the number of replicas reporting both metrics.
	WithMetrics int
	// Saturated is the number of saturated replicas.
	Saturated int
	// NonSaturated is the number of replicas the averages are taken over.
	NonSaturated int
	// AvgSpareKv is the average spare KV capacity of the non-saturated
	// replicas (0 when there are none).
	AvgSpareKv float64
	// AvgSpareQueue is the average spare queue capacity of the non-saturated
	// replicas (0 when there are none).
	AvgSpareQueue float64
	// ScaleUp: every replica with metrics is saturated, or an average spare
	// capacity is below its trigger.
	ScaleUp bool
	// ScaleDownSafe: no scale-up signal, no saturated replica, no replica
	// with missing metrics, no replica in flight, at least two replicas, and
	// with one replica fewer
	// the same total load would leave both average spare capacities at or
	// above their triggers with no replica saturated.
	ScaleDownSafe bool
	// Reason explains the outcome in words a user reads in kubectl describe.
	Reason string
}

// HasDecision reports whether the analysis had metrics to decide on. It is
// false when there are no replicas, or when no replica reports its metrics.
func (a Analysis) HasDecision() bool { return a.WithMetrics > 0 || a.Saturated > 0 }

// Analyze assesses the replicas of one model with cfg. It is a pure
// function. With no replicas (a model scaled to zero) or no metrics at all,
// it signals neither scale-up nor scale-down and says so in Reason: a model
// at zero replicas is not scaled up from metrics (only minReplicas can raise
// it, see AnalyzeModel).
func Analyze(cfg CapacityScalingConfig, replicas []ReplicaMetrics) Analysis {
	t := tally{cfg: cfg}
	for _, r := range replicas {
		t.add(r)
	}
	return t.finish()
}

// tally accumulates replicas one by one, so that AnalyzeModel can pool the
// replicas of several variants without copying them.
type tally struct {
	cfg                       CapacityScalingConfig
	a                         Analysis
	sumKv, sumQueue           float64 // load of the non-saturated replicas
	sumSpareKv, sumSpareQueue float64
}

func validMetric(v float64, has bool) bool {
	return has && v >= 0 && !math.IsNaN(v) && !math.IsInf(v, 0)
}

// Complete reports whether the replica reports both metrics with usable
// values (not missing, NaN, infinite or negative): the rule by which
// Analysis counts WithMetrics, for callers that describe replicas.
func (r ReplicaMetrics) Complete() bool {
	return validMetric(r.KvCacheUsage, r.HasKvCacheUsage) && validMetric(r.QueueLength, r.HasQueueLength)
}

func (t *tally) add(r ReplicaMetrics) {
	t.a.Replicas++
	hasKv := validMetric(r.KvCacheUsage, r.HasKvCacheUsage)
	hasQueue := validMetric(r.QueueLength, r.HasQueueLength)
	if hasKv && hasQueue {
		t.a.WithMetrics++
	}
	kvThreshold, queueThreshold := t.cfg.KvCacheThreshold, float64(t.cfg.QueueLengthThreshold)
	switch {
	case (hasKv && atLeast(r.KvCacheUsage, kvThreshold)) || (hasQueue && atLeast(r.QueueLength, queueThreshold)):
		t.a.Saturated++
	case hasKv && hasQueue:
		t.a.NonSaturated++
		t.sumKv += r.KvCacheUsage
		t.sumQueue += r.QueueLength
		t.sumSpareKv += kvThreshold - r.KvCacheUsage
		t.sumSpareQueue += queueThreshold - r.QueueLength
	}
}

// addMissing counts n replicas that report no metrics at all.
func (t *tally) addMissing(n int) { t.a.Replicas += n }

// addInFlight counts n replicas that are still starting.
func (t *tally) addInFlight(n int) {
	t.a.Replicas += n
	t.a.InFlight += n
}

func (t *tally) finish() Analysis {
	a, c := t.a, t.cfg
	missing := a.Replicas - a.Saturated - a.NonSaturated - a.InFlight
	switch {
	case a.Replicas == 0:
		a.Reason = "no replicas are running, so there are no metrics to analyze; no scaling decision"
		return a
	case !a.HasDecision() && a.InFlight == a.Replicas:
		a.Reason = fmt.Sprintf("%s still starting, so there are no metrics to analyze yet; no scaling decision",
			plural(a.InFlight, "replica is", "replicas are"))
		return a
	case !a.HasDecision():
		a.Reason = fmt.Sprintf("metrics are missing: none of the %s reports both KV cache usage and queue length; no scaling decision",
			plural(a.Replicas-a.InFlight, "replica", "replicas"))
		if a.InFlight > 0 {
			a.Reason += fmt.Sprintf(" (%s still starting)", plural(a.InFlight, "replica is", "replicas are"))
		}
		return a
	case a.NonSaturated == 0:
		a.ScaleUp = true
		which := "the only replica with metrics is"
		if a.Saturated > 1 {
			which = fmt.Sprintf("all %d replicas with metrics are", a.Saturated)
		}
		a.Reason = fmt.Sprintf("%s saturated (KV cache usage >= kvCacheThreshold %s or queue length >= queueLengthThreshold %d)",
			which, formatDecimal(c.KvCacheThreshold), c.QueueLengthThreshold)
		if missing > 0 {
			a.Reason += fmt.Sprintf("; %s no metrics", plural(missing, "replica has", "replicas have"))
		}
		return a
	}
	// From here on, scale-up (if signalled) is computed from the replicas that
	// report; replicas without metrics or in flight never hide a shortage.

	n := float64(a.NonSaturated)
	a.AvgSpareKv = clean(t.sumSpareKv / n)
	a.AvgSpareQueue = clean(t.sumSpareQueue / n)
	kvTrigger, queueTrigger := c.KvSpareTrigger, float64(c.QueueSpareTrigger)

	var low []string
	if below(a.AvgSpareKv, kvTrigger) {
		v, tr := formatPair(a.AvgSpareKv, kvTrigger)
		low = append(low, fmt.Sprintf("average spare KV capacity %s is below kvSpareTrigger %s", v, tr))
	}
	if below(a.AvgSpareQueue, queueTrigger) {
		v, _ := formatPair(a.AvgSpareQueue, queueTrigger)
		low = append(low, fmt.Sprintf("average spare queue capacity %s is below queueSpareTrigger %d", v, c.QueueSpareTrigger))
	}
	if len(low) > 0 {
		a.ScaleUp = true
		a.Reason = strings.Join(low, " and ")
		return a
	}

	sufficient := fmt.Sprintf("average spare KV capacity %s and spare queue capacity %s meet their triggers (kvSpareTrigger %s, queueSpareTrigger %d)",
		formatFixed(a.AvgSpareKv), formatFixed(a.AvgSpareQueue), formatDecimal(kvTrigger), c.QueueSpareTrigger)
	var blockers []string
	if a.Saturated > 0 {
		blockers = append(blockers, plural(a.Saturated, "replica is", "replicas are")+" saturated")
	}
	if missing > 0 {
		blockers = append(blockers, plural(missing, "replica has", "replicas have")+" no metrics")
	}
	if a.InFlight > 0 {
		blockers = append(blockers, plural(a.InFlight, "replica is", "replicas are")+" still starting")
	}
	if len(blockers) == 0 && a.NonSaturated < 2 {
		blockers = append(blockers, "a single replica cannot be removed")
	}
	if len(blockers) == 0 {
		blockers = t.scaleDownBlockers()
	}
	if len(blockers) > 0 {
		a.Reason = sufficient + "; not scaling down: " + strings.Join(blockers, ", ")
		return a
	}
	a.ScaleDownSafe = true
	a.Reason = sufficient + fmt.Sprintf(" and would still meet them with one replica fewer (spare KV capacity %s, spare queue capacity %s); scale-down is safe",
		formatFixed(c.KvCacheThreshold-t.sumKv/(n-1)), formatFixed(float64(c.QueueLengthThreshold)-t.sumQueue/(n-1)))
	return a
}

// scaleDownBlockers spreads the load of the non-saturated replicas over one
// replica fewer and reports what would then violate the configuration.
func (t *tally) scaleDownBlockers() []string {
	c := t.cfg
	n := float64(t.a.NonSaturated - 1)
	kvLoad, queueLoad := t.sumKv/n, t.sumQueue/n
	spareKv, spareQueue := c.KvCacheThreshold-kvLoad, float64(c.QueueLengthThreshold)-queueLoad
	var out []string
	if atLeast(kvLoad, c.KvCacheThreshold) || atLeast(queueLoad, float64(c.QueueLengthThreshold)) {
		out = append(out, fmt.Sprintf("with one replica fewer the replicas would be saturated (average KV cache usage %s, queue length %s)",
			formatFixed(kvLoad), formatFixed(queueLoad)))
		return out
	}
	if below(spareKv, c.KvSpareTrigger) {
		v, tr := formatPair(spareKv, c.KvSpareTrigger)
		out = append(out, fmt.Sprintf("with one replica fewer the average spare KV capacity would be %s, below kvSpareTrigger %s", v, tr))
	}
	if below(spareQueue, float64(c.QueueSpareTrigger)) {
		v, _ := formatPair(spareQueue, float64(c.QueueSpareTrigger))
		out = append(out, fmt.Sprintf("with one replica fewer the average spare queue capacity would be %s, below queueSpareTrigger %d", v, c.QueueSpareTrigger))
	}
	return out
}

// clean turns values within Tolerance of zero into 0, so that rounding noise
// never prints as -0.00.
func clean(v float64) float64 {
	if math.Abs(v) < Tolerance {
		return 0
	}
	return v
}

func formatFixed(v float64) string { return strconv.FormatFloat(clean(v), 'f', 2, 64) }

// formatPair prints a and b with two decimals, or with as many more (up to
// eight) as it takes for two values that differ by more than Tolerance not to
// print the same: never "0.10 is below 0.10".
func formatPair(a, b float64) (string, string) {
	a, b = clean(a), clean(b)
	if math.Abs(a-b) > Tolerance {
		for prec := 2; prec <= 8; prec++ {
			sa, sb := strconv.FormatFloat(a, 'f', prec, 64), strconv.FormatFloat(b, 'f', prec, 64)
			if sa != sb {
				return sa, sb
			}
		}
	}
	return strconv.FormatFloat(a, 'f', 2, 64), strconv.FormatFloat(b, 'f', 2, 64)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
