package load

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/wva-project/wva/e2e/internal/fixture"
	"github.com/wva-project/wva/e2e/internal/timeline"
	"github.com/wva-project/wva/e2e/internal/workload"
)

// What the load features predict and measure: when a replica signals
// scale-up, the replicas a rate needs, the reaction and settle-down times
// and their budgets, and the checks every load run makes.

// noTime marks a time cycleTimes could not measure.
const noTime = time.Duration(math.MinInt64)

// CycleTimes measures a load cycle: reaction is the time from saturation
// (see Run.saturation) to the first scale-up, settle-down the time
// from the end of the load to the step that brought the model to minimum
// replicas in all. Either is noTime when the series has no such step.
func CycleTimes(r *Run, s timeline.Series, minimum int32) (reaction, settle time.Duration) {
	reaction, settle = noTime, noTime
	saturated, ok := r.saturation(1)
	steps := s.Steps()
	for _, st := range steps {
		if st.Up() && ok {
			reaction = st.At.Sub(saturated)
			break
		}
	}
	if n := len(steps); n > 0 && !steps[n-1].Up() && steps[n-1].Total == minimum {
		settle = steps[n-1].At.Sub(r.LoadStops())
	}
	return reaction, settle
}

// DescribePhases renders phases as "up 1->4 (3 steps, 12.3-40.1s), ...".
func DescribePhases(s timeline.Series, phases []timeline.Phase) string {
	if len(phases) == 0 {
		return "none"
	}
	out := ""
	for i, p := range phases {
		if i > 0 {
			out += ", "
		}
		dir := "down"
		if p.Up {
			dir = "up"
		}
		out += fmt.Sprintf("%s %d->%d (%d steps, %.1f-%.1fs)", dir, p.From, p.To, p.Steps, s.Elapsed(p.Start), s.Elapsed(p.End))
	}
	return out
}

// signalCount is the fewest running requests with which one replica
// signals scale-up under the run's thresholds: saturated, or leaving less
// spare KV capacity than the trigger.
func (r *Run) signalCount() int {
	c := r.thresholds
	for n := 1; n <= r.Model.Slots(); n++ {
		kv := r.Model.KVUsage(n)
		if kv >= c.kv-tolerance || c.kv-kv < c.kvSpare-tolerance {
			return n
		}
	}
	return r.Model.Slots()
}

// saturation is when the load crosses what the starting replicas serve
// without signalling scale-up: the engine runs rate x request time
// requests (Little's law) of the rate half a request earlier, so the first
// replica reaches signalCount running half a request after the offered
// rate reaches signalCount / request time. ok is false if it never does.
func (r *Run) saturation(replicas int) (time.Time, bool) {
	s := r.Model.RequestDuration()
	rate := float64(r.signalCount()*replicas) / s.Seconds()
	for d := time.Duration(0); d <= r.Profile.Duration(); d += 10 * time.Millisecond {
		if r.Profile.RateAt(d) >= rate {
			return r.LoadStart.Add(d + s/2), true
		}
	}
	return time.Time{}, false
}

// Needed is the replicas a steady rate needs: the fewest at which the
// average replica's KV-cache usage leaves the spare capacity the trigger
// asks for.
func (r *Run) Needed(rate float64) int32 {
	c := r.thresholds
	running := rate * r.Model.RequestDuration().Seconds()
	perReplica := (c.kv - c.kvSpare) / r.Model.KVUsage(1)
	return int32(math.Ceil(running/perReplica - tolerance))
}

// SettleBudget is the longest the model may take, from the end of the
// load, to come down by steps replicas: a first pass that notices (one
// reconcile interval) the metrics that show it (one scrape interval) once
// the last requests drained (one request time), then one window per step,
// each followed by the actuation lag. With KEDA the next window starts
// only when a pass (every reconcile interval) sees the target at the
// lowered count, so every step but the last adds a reconcile interval.
func (r *Run) SettleBudget(steps int32) time.Duration {
	perStep := LoadWindow + r.actuationLag()
	var seen time.Duration
	if r.Mode == ActuateKEDA && steps > 1 {
		seen = time.Duration(steps-1) * LoadReconcileInterval
	}
	return time.Duration(steps)*perStep + seen + LoadReconcileInterval + fixture.PromScrapeInterval + r.Model.RequestDuration() + loadMargin
}

// reactionBudget is the longest from saturation to the first scale-up.
func (r *Run) reactionBudget() time.Duration {
	return LoadReconcileInterval + fixture.PromScrapeInterval + r.actuationLag() + loadReactionSlack
}

// actuationLag is the longest from a decision to the Deployment's
// spec.replicas: none with /scale (the pass writes it); with KEDA,
// Prometheus scrapes the gauge (one scrape interval) and the HPA reads it
// at its next sync (one sync period).
func (r *Run) actuationLag() time.Duration {
	if r.Mode == ActuateKEDA {
		return fixture.PromScrapeInterval + hpaSyncPeriod
	}
	return 0
}

// Report prints the run's summary line to the test log and to the run's
// end-of-run summary.
func (r *Run) Report(t *testing.T, reaction, settle time.Duration, peak int32, flaps int, summary workload.Summary) {
	seconds := func(d time.Duration) string {
		if d == noTime {
			return "none"
		}
		return fmt.Sprintf("%.1f", d.Seconds())
	}
	line := fmt.Sprintf("load-cycle mode=%s reaction=%s settle-down=%s peak=%d flaps=%d errors=%.2f run=%s",
		r.Mode, seconds(reaction), seconds(settle), peak, flaps, summary.ErrorRatePercent, r.name)
	t.Log(line)
	r.f.Suite.ReportLoadRun(line)
}

// LogSteps logs every replica change of the series.
func LogSteps(t *testing.T, s timeline.Series) {
	for _, st := range s.Steps() {
		t.Logf("step at %6.1fs: %s %d -> %d (model %d)", s.Elapsed(st.At), st.Variant, st.From, st.To, st.Total)
	}
}

// CheckLoadErrors fails the test when the load generator saw 1% errors or
// more.
func CheckLoadErrors(t *testing.T, s workload.Summary) {
	t.Helper()
	if s.ErrorRatePercent >= 1 || s.Scheduled == 0 {
		t.Errorf("load generator: %.2f%% errors of %d requests (%d failed, %d skipped; last error %q), want < 1%%",
			s.ErrorRatePercent, s.Scheduled, s.Failed, s.Skipped, s.LastError)
	}
}

// CheckBounds fails the test when a variant left its VariantAutoscaling's
// bounds at any time of the series.
func (r *Run) CheckBounds(t *testing.T, s timeline.Series) {
	t.Helper()
	for i, v := range r.Vas {
		lo, hi, ok := s.Range(r.Model.Variants[i].Name)
		if !ok {
			t.Errorf("variant %s: no replica count recorded", r.Model.Variants[i].Name)
			continue
		}
		if lo < v.Min || hi > v.Max {
			t.Errorf("variant %s: replicas ranged over [%d, %d], outside [minReplicas %d, maxReplicas %d]", r.Model.Variants[i].Name, lo, hi, v.Min, v.Max)
		}
	}
}
