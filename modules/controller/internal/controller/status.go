package controller

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/api/v1alpha1"
	"github.com/wva-project/wva/modules/capacity"
)

// patchStatus applies mutate to va's status and patches what changed. Two
// controllers write a VariantAutoscaling's status, each its own fields and
// conditions (the VariantAutoscaling controller appliedConfig and
// ConfigResolved, the model controller the rest), so the patch carries the
// resourceVersion it was computed from: a patch based on a stale copy fails
// with a conflict instead of reverting the other controller's conditions.
// On a conflict the object is read afresh and mutate applied to it once
// more, up to statusRetry's steps (client-go's retry.DefaultRetry: five
// tries, 10 ms apart): after an API outage both controllers write every
// variant at once from caches whose watches have not resumed, and a
// rate-limited requeue would wait out the backoff the outage's failed
// passes built up. A conflict left after the last try is returned, for
// the rate-limited retry. A VariantAutoscaling deleted meanwhile is not an
// error.
func patchStatus(ctx context.Context, c client.Client, reader client.Reader, va *v1alpha1.VariantAutoscaling, mutate func(*v1alpha1.VariantAutoscaling)) error {
	first := true
	err := retry.RetryOnConflict(statusRetry, func() error {
		if first {
			first = false
			return patchOnce(ctx, c, va, mutate)
		}
		fresh := &v1alpha1.VariantAutoscaling{}
		if err := reader.Get(ctx, client.ObjectKeyFromObject(va), fresh); err != nil {
			return err
		}
		return patchOnce(ctx, c, fresh, mutate)
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("patching status of VariantAutoscaling %s/%s: %w", va.Namespace, va.Name, err)
	}
	return nil
}

// statusRetry bounds patchStatus's conflict retries.
var statusRetry = retry.DefaultRetry

func patchOnce(ctx context.Context, c client.Client, va *v1alpha1.VariantAutoscaling, mutate func(*v1alpha1.VariantAutoscaling)) error {
	original := va.DeepCopy()
	mutate(va)
	if equality.Semantic.DeepEqual(original.Status, va.Status) {
		return nil
	}
	return c.Status().Patch(ctx, va, client.MergeFromWithOptions(original, client.MergeFromWithOptimisticLock{}))
}

// decimal prints a computed average (a spare capacity) with two decimals,
// as the analysis's reasons do; thresholds use capacity.FormatDecimal.
func decimal(f float64) string { return fmt.Sprintf("%.2f", f) }

// appliedConfig is the status record of the configuration a variant uses.
func appliedConfig(r capacity.Resolution, version string) *v1alpha1.AppliedCapacityConfig {
	cfg := r.Config
	a := &v1alpha1.AppliedCapacityConfig{
		KvCacheThreshold:         capacity.FormatDecimal(cfg.KvCacheThreshold),
		QueueLengthThreshold:     int32(cfg.QueueLengthThreshold),
		KvSpareTrigger:           capacity.FormatDecimal(cfg.KvSpareTrigger),
		QueueSpareTrigger:        int32(cfg.QueueSpareTrigger),
		Source:                   string(r.Source),
		Inherited:                r.Fields.Inherited(r.Source),
		ConfigMapResourceVersion: version,
		Window:                   r.Window,
	}
	if r.Window != "" {
		a.WindowEnds = &metav1.Time{Time: r.WindowEnd}
	}
	return a
}

// configCondition says which configuration source won, and which window of
// it applies until when.
func configCondition(r capacity.Resolution, version string) metav1.Condition {
	c := metav1.Condition{Type: v1alpha1.ConditionConfigResolved, Status: metav1.ConditionTrue}
	switch key, isOverride := r.Source.Entry().OverrideKey(); {
	case isOverride:
		c.Reason = v1alpha1.ReasonConfigOverride
		c.Message = fmt.Sprintf("ConfigMap entry %q (merged over the default) at resourceVersion %s", key, version)
	case r.Source.Entry() == capacity.SourceDefault:
		c.Reason = v1alpha1.ReasonConfigDefault
		c.Message = fmt.Sprintf("ConfigMap default entry at resourceVersion %s", version)
	default:
		c.Reason = v1alpha1.ReasonConfigBuiltin
		c.Message = "Built-in defaults: no ConfigMap, or no valid default entry in it"
		if version != "" {
			c.Message = fmt.Sprintf("Built-in defaults: ConfigMap at resourceVersion %s has no valid default entry", version)
		}
	}
	if r.Window != "" {
		c.Message += fmt.Sprintf(", window %q until %s", r.Window, r.WindowEnd.UTC().Format(time.RFC3339))
	}
	return c
}

// analysisStatus records the model's analysis and this variant's decision.
// The time only moves when the content changes, so that a steady state does
// not rewrite status on every pass.
func analysisStatus(prev v1alpha1.CapacityAnalysis, a capacity.Analysis, decision capacity.Direction, reason string, now metav1.Time) v1alpha1.CapacityAnalysis {
	next := v1alpha1.CapacityAnalysis{
		Replicas:          int32(a.Replicas),
		SaturatedReplicas: int32(a.Saturated),
		Decision:          string(decision),
		// The schema wants a reason; the capacity library always gives one.
		Reason: cmp.Or(truncate(reason, 1024), string(decision)),
		Time:   now,
	}
	if a.WithMetrics > 0 {
		next.AvgSpareKvCapacity = decimal(a.AvgSpareKv)
		next.AvgSpareQueueCapacity = decimal(a.AvgSpareQueue)
	}
	same := prev
	same.Time = now
	if same == next {
		return prev
	}
	return next
}

// setCondition sets c with the object's generation.
func setCondition(va *v1alpha1.VariantAutoscaling, c metav1.Condition) {
	c.ObservedGeneration = va.Generation
	c.Message = truncate(c.Message, 32768)
	meta.SetStatusCondition(&va.Status.Conditions, c)
}

func condition(t string, ok bool, reason, format string, args ...any) metav1.Condition {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	return metav1.Condition{Type: t, Status: status, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n-3], "") + "..."
}
