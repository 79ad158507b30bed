package capacity

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Built-in defaults, used when the ConfigMap has no valid `default` entry.
const (
	DefaultKvCacheThreshold     = 0.80
	DefaultQueueLengthThreshold = 5
	DefaultKvSpareTrigger       = 0.10
	DefaultQueueSpareTrigger    = 3
)

// maxQueueValue bounds the integer thresholds: they are reported in
// VariantAutoscaling status as int32.
const maxQueueValue = math.MaxInt32

// CapacityScalingConfig holds the thresholds of capacity-based scaling for
// one model. It is a plain value: copies are independent.
//
// ModelID and Namespace are set only on a configuration that comes from an
// override entry; the global default and the built-in defaults leave them
// empty.
type CapacityScalingConfig struct {
	// ModelID is the model an override applies to (spec.modelID of the
	// VariantAutoscaling).
	ModelID string `json:"model_id,omitempty"`
	// Namespace is the namespace an override applies to.
	Namespace string `json:"namespace,omitempty"`
	// KvCacheThreshold: a replica whose KV cache utilization is at or above
	// it is saturated (0..1).
	KvCacheThreshold float64 `json:"kvCacheThreshold"`
	// QueueLengthThreshold: a replica whose queue length is at or above it is
	// saturated (>= 0).
	QueueLengthThreshold int `json:"queueLengthThreshold"`
	// KvSpareTrigger: scale up when the average spare KV capacity of the
	// non-saturated replicas is below it (0..1, at most KvCacheThreshold).
	KvSpareTrigger float64 `json:"kvSpareTrigger"`
	// QueueSpareTrigger: scale up when the average spare queue capacity of
	// the non-saturated replicas is below it (>= 0).
	QueueSpareTrigger int `json:"queueSpareTrigger"`
}

// DefaultCapacityScalingConfig returns the built-in defaults:
// kvCacheThreshold 0.80, queueLengthThreshold 5, kvSpareTrigger 0.10,
// queueSpareTrigger 3.
func DefaultCapacityScalingConfig() CapacityScalingConfig {
	return CapacityScalingConfig{
		KvCacheThreshold:     DefaultKvCacheThreshold,
		QueueLengthThreshold: DefaultQueueLengthThreshold,
		KvSpareTrigger:       DefaultKvSpareTrigger,
		QueueSpareTrigger:    DefaultQueueSpareTrigger,
	}
}

// Validate checks the thresholds and returns every violation, joined with
// errors.Join, or nil. Each violation is a FieldError wrapping ErrNotFinite,
// ErrOutOfRange or ErrInconsistent, with the spec's messages:
//
//	kvCacheThreshold must be between 0 and 1, got 1.50
//	queueLengthThreshold must be >= 0, got -1
//	kvSpareTrigger must be between 0 and 1, got 1.20
//	queueSpareTrigger must be >= 0, got -2
//	kvCacheThreshold (0.10) must be >= kvSpareTrigger (0.20)
//
// Floats are printed with at least two decimals and as many more as the
// value needs, so 1.5 prints as 1.50 and 1.005 as 1.005. Validate does not
// look at ModelID and Namespace: Parse checks those per entry.
func (c CapacityScalingConfig) Validate() error {
	var errs []error
	kvOK := validateFraction(&errs, "kvCacheThreshold", c.KvCacheThreshold)
	validateCount(&errs, "queueLengthThreshold", c.QueueLengthThreshold)
	triggerOK := validateFraction(&errs, "kvSpareTrigger", c.KvSpareTrigger)
	validateCount(&errs, "queueSpareTrigger", c.QueueSpareTrigger)
	if kvOK && triggerOK && c.KvCacheThreshold < c.KvSpareTrigger {
		errs = append(errs, fieldErrorf("kvCacheThreshold", ErrInconsistent,
			"kvCacheThreshold (%s) must be >= kvSpareTrigger (%s)",
			formatDecimal(c.KvCacheThreshold), formatDecimal(c.KvSpareTrigger)))
	}
	return errors.Join(errs...)
}

// validateFraction appends the problems of a value that must lie in [0, 1]
// and reports whether the value is finite (so it can be compared further).
func validateFraction(errs *[]error, field string, v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		*errs = append(*errs, fieldErrorf(field, ErrNotFinite,
			"%s must be a finite number between 0 and 1, got %s", field, formatDecimal(v)))
		return false
	}
	if v < 0 || v > 1 {
		*errs = append(*errs, fieldErrorf(field, ErrOutOfRange,
			"%s must be between 0 and 1, got %s", field, formatDecimal(v)))
	}
	return true
}

func validateCount(errs *[]error, field string, v int) {
	switch {
	case v < 0:
		*errs = append(*errs, fieldErrorf(field, ErrOutOfRange, "%s must be >= 0, got %d", field, v))
	case v > maxQueueValue:
		*errs = append(*errs, fieldErrorf(field, ErrOutOfRange, "%s must be <= %d, got %d", field, maxQueueValue, v))
	}
}

// Warnings returns the caveats of a valid configuration, thresholds that
// are allowed but make the model always signal scale-up (so it climbs to
// maxReplicas and never comes down):
//   - kvCacheThreshold 0: every replica's KV-cache usage is at or above it,
//     so every replica is saturated;
//   - queueLengthThreshold 0: every replica's queue length is at or above
//     it, so every replica is saturated;
//   - a queueSpareTrigger above queueLengthThreshold: the spare queue
//     capacity of a replica (queueLengthThreshold minus its queue length)
//     is always smaller than the trigger.
func (c CapacityScalingConfig) Warnings() []string {
	var out []string
	if c.KvCacheThreshold == 0 {
		out = append(out, "kvCacheThreshold is 0: every replica's KV-cache usage is at or above it, so every replica "+
			"counts as saturated and this model always signals scale-up (it climbs to maxReplicas and never scales down)")
	}
	if c.QueueLengthThreshold == 0 {
		out = append(out, "queueLengthThreshold is 0: every replica's queue length is at or above it, so every replica "+
			"counts as saturated and this model always signals scale-up (it climbs to maxReplicas and never scales down)")
	}
	if c.QueueSpareTrigger > c.QueueLengthThreshold {
		out = append(out, fmt.Sprintf(
			"queueSpareTrigger (%d) is greater than queueLengthThreshold (%d): the spare queue capacity of a replica "+
				"(queueLengthThreshold minus its queue length) can never reach the trigger, so this model always signals scale-up",
			c.QueueSpareTrigger, c.QueueLengthThreshold))
	}
	return out
}

// Entry is one decoded ConfigMap entry. The pointer fields record presence:
// nil means the entry does not set the field (it is inherited), a non-nil
// pointer to 0 is an explicit zero.
type Entry struct {
	ModelID              string
	Namespace            string
	KvCacheThreshold     *float64
	QueueLengthThreshold *int
	KvSpareTrigger       *float64
	QueueSpareTrigger    *int
	// HasSchedules records that the entry sets schedules (possibly to an
	// empty list); Schedules are its windows. An override that does not set
	// schedules inherits the default entry's.
	HasSchedules bool
	Schedules    []Window
}

// Merge returns c with exactly the fields that e sets replaced: the non-nil
// thresholds and the non-empty ModelID and Namespace. Everything else is
// inherited from c. Merge does not validate; validate the result. It
// ignores Schedules: Parse applies a window's thresholds while it is active.
func (c CapacityScalingConfig) Merge(e Entry) CapacityScalingConfig {
	if e.ModelID != "" {
		c.ModelID = e.ModelID
	}
	if e.Namespace != "" {
		c.Namespace = e.Namespace
	}
	if e.KvCacheThreshold != nil {
		c.KvCacheThreshold = *e.KvCacheThreshold
	}
	if e.QueueLengthThreshold != nil {
		c.QueueLengthThreshold = *e.QueueLengthThreshold
	}
	if e.KvSpareTrigger != nil {
		c.KvSpareTrigger = *e.KvSpareTrigger
	}
	if e.QueueSpareTrigger != nil {
		c.QueueSpareTrigger = *e.QueueSpareTrigger
	}
	return c
}

// FormatDecimal is the library's decimal policy for a threshold as a user
// wrote it, for status fields and tables: at least two decimals and as many
// more as the shortest exact representation needs (0.8 -> "0.80", 0.805 ->
// "0.805", where "%.2f" would show "0.81"), never an exponent (1e-7 ->
// "0.0000001"). NaN and infinities, which validation rejects, print as in
// messages.
func FormatDecimal(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) || v == 0 {
		return formatDecimal(v)
	}
	return padDecimals(strconv.FormatFloat(v, 'f', -1, 64))
}

// padDecimals gives a plain decimal at least two decimals.
func padDecimals(s string) string {
	dot := strings.IndexByte(s, '.')
	switch {
	case dot < 0:
		return s + ".00"
	case len(s)-dot-1 < 2:
		return s + "0"
	}
	return s
}

// formatDecimal prints v with at least two decimals and as many more as the
// shortest exact representation needs: 1.5 -> "1.50", 0.8 -> "0.80",
// 1.005 -> "1.005". Two decimals match the spec's messages; more are shown
// rather than rounding a value into one that looks valid.
func formatDecimal(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == 0:
		return "0.00" // also turns -0 into 0.00
	case math.Abs(v) >= 1e15 || math.Abs(v) < 1e-6:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return padDecimals(strconv.FormatFloat(v, 'f', -1, 64))
}
