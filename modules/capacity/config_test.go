package capacity

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fieldErrors returns the FieldErrors inside err (through errors.Join and
// EntryError), in order.
func fieldErrors(err error) []FieldError {
	if err == nil {
		return nil
	}
	var multi interface{ Unwrap() []error }
	if errors.As(err, &multi) {
		var out []FieldError
		for _, inner := range multi.Unwrap() {
			out = append(out, fieldErrors(inner)...)
		}
		return out
	}
	var fe FieldError
	if errors.As(err, &fe) {
		return []FieldError{fe}
	}
	return nil
}

// fieldErrorSummary is what tests compare: field, sentinel and message.
type fieldErrorSummary struct {
	Field   string
	Kind    string
	Message string
}

func summarize(err error) []fieldErrorSummary {
	var out []fieldErrorSummary
	for _, fe := range fieldErrors(err) {
		out = append(out, fieldErrorSummary{Field: fe.Field, Kind: fe.Err.Error(), Message: fe.Message})
	}
	return out
}

func TestDefaultCapacityScalingConfig(t *testing.T) {
	want := CapacityScalingConfig{KvCacheThreshold: 0.80, QueueLengthThreshold: 5, KvSpareTrigger: 0.10, QueueSpareTrigger: 3}
	if diff := cmp.Diff(want, DefaultCapacityScalingConfig()); diff != "" {
		t.Errorf("DefaultCapacityScalingConfig: -want +got:\n%s", diff)
	}
	if err := DefaultCapacityScalingConfig().Validate(); err != nil {
		t.Errorf("built-in defaults do not validate: %v", err)
	}
}

func TestValidate(t *testing.T) {
	base := DefaultCapacityScalingConfig()
	with := func(f func(*CapacityScalingConfig)) CapacityScalingConfig {
		c := base
		f(&c)
		return c
	}
	cases := map[string]struct {
		cfg  CapacityScalingConfig
		want []fieldErrorSummary
	}{
		"defaults are valid": {cfg: base},
		"boundaries are valid": {cfg: with(func(c *CapacityScalingConfig) {
			c.KvCacheThreshold, c.KvSpareTrigger, c.QueueLengthThreshold, c.QueueSpareTrigger = 1, 1, 0, 0
		})},
		"all zero is valid": {cfg: CapacityScalingConfig{}},
		"rule 1: kvCacheThreshold above 1": {
			cfg:  with(func(c *CapacityScalingConfig) { c.KvCacheThreshold = 1.5 }),
			want: []fieldErrorSummary{{"kvCacheThreshold", "out of range", "kvCacheThreshold must be between 0 and 1, got 1.50"}},
		},
		"rule 1: kvCacheThreshold below 0 also breaks rule 5": {
			cfg: with(func(c *CapacityScalingConfig) { c.KvCacheThreshold = -0.5 }),
			want: []fieldErrorSummary{
				{"kvCacheThreshold", "out of range", "kvCacheThreshold must be between 0 and 1, got -0.50"},
				{"kvCacheThreshold", "inconsistent thresholds", "kvCacheThreshold (-0.50) must be >= kvSpareTrigger (0.10)"},
			},
		},
		"rule 2: queueLengthThreshold negative": {
			cfg:  with(func(c *CapacityScalingConfig) { c.QueueLengthThreshold = -1 }),
			want: []fieldErrorSummary{{"queueLengthThreshold", "out of range", "queueLengthThreshold must be >= 0, got -1"}},
		},
		"rule 3: kvSpareTrigger above 1 also breaks rule 5": {
			cfg: with(func(c *CapacityScalingConfig) { c.KvSpareTrigger = 1.2 }),
			want: []fieldErrorSummary{
				{"kvSpareTrigger", "out of range", "kvSpareTrigger must be between 0 and 1, got 1.20"},
				{"kvCacheThreshold", "inconsistent thresholds", "kvCacheThreshold (0.80) must be >= kvSpareTrigger (1.20)"},
			},
		},
		"rule 4: queueSpareTrigger negative": {
			cfg:  with(func(c *CapacityScalingConfig) { c.QueueSpareTrigger = -2 }),
			want: []fieldErrorSummary{{"queueSpareTrigger", "out of range", "queueSpareTrigger must be >= 0, got -2"}},
		},
		"rule 5: kvCacheThreshold below kvSpareTrigger": {
			cfg:  with(func(c *CapacityScalingConfig) { c.KvCacheThreshold, c.KvSpareTrigger = 0.1, 0.2 }),
			want: []fieldErrorSummary{{"kvCacheThreshold", "inconsistent thresholds", "kvCacheThreshold (0.10) must be >= kvSpareTrigger (0.20)"}},
		},
		"rule 5: equal is valid": {cfg: with(func(c *CapacityScalingConfig) { c.KvCacheThreshold, c.KvSpareTrigger = 0.3, 0.3 })},
		"every violation is returned": {
			cfg: CapacityScalingConfig{KvCacheThreshold: 2, QueueLengthThreshold: -1, KvSpareTrigger: -1, QueueSpareTrigger: -2},
			want: []fieldErrorSummary{
				{"kvCacheThreshold", "out of range", "kvCacheThreshold must be between 0 and 1, got 2.00"},
				{"queueLengthThreshold", "out of range", "queueLengthThreshold must be >= 0, got -1"},
				{"kvSpareTrigger", "out of range", "kvSpareTrigger must be between 0 and 1, got -1.00"},
				{"queueSpareTrigger", "out of range", "queueSpareTrigger must be >= 0, got -2"},
			},
		},
		"NaN": {
			cfg:  with(func(c *CapacityScalingConfig) { c.KvCacheThreshold = math.NaN() }),
			want: []fieldErrorSummary{{"kvCacheThreshold", "not a finite number", "kvCacheThreshold must be a finite number between 0 and 1, got NaN"}},
		},
		"infinities": {
			cfg: with(func(c *CapacityScalingConfig) { c.KvCacheThreshold, c.KvSpareTrigger = math.Inf(1), math.Inf(-1) }),
			want: []fieldErrorSummary{
				{"kvCacheThreshold", "not a finite number", "kvCacheThreshold must be a finite number between 0 and 1, got +Inf"},
				{"kvSpareTrigger", "not a finite number", "kvSpareTrigger must be a finite number between 0 and 1, got -Inf"},
			},
		},
		"more decimals than two are shown": {
			cfg:  with(func(c *CapacityScalingConfig) { c.KvCacheThreshold = 1.001 }),
			want: []fieldErrorSummary{{"kvCacheThreshold", "out of range", "kvCacheThreshold must be between 0 and 1, got 1.001"}},
		},
		"queue values must fit status int32": {
			cfg:  with(func(c *CapacityScalingConfig) { c.QueueLengthThreshold = math.MaxInt32 + 1 }),
			want: []fieldErrorSummary{{"queueLengthThreshold", "out of range", "queueLengthThreshold must be <= 2147483647, got 2147483648"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if diff := cmp.Diff(tc.want, summarize(err)); diff != "" {
				t.Errorf("Validate(%+v): -want +got:\n%s", tc.cfg, diff)
			}
			if (err == nil) != (len(tc.want) == 0) {
				t.Errorf("Validate(%+v) = %v, want error: %t", tc.cfg, err, len(tc.want) > 0)
			}
		})
	}
}

func TestValidateErrorsAreMatchable(t *testing.T) {
	err := CapacityScalingConfig{KvCacheThreshold: 0.1, KvSpareTrigger: 0.2, QueueLengthThreshold: -1}.Validate()
	for _, sentinel := range []error{ErrOutOfRange, ErrInconsistent} {
		if !errors.Is(err, sentinel) {
			t.Errorf("errors.Is(%v, %v) = false, want true", err, sentinel)
		}
	}
	if errors.Is(err, ErrNotFinite) {
		t.Errorf("errors.Is(%v, ErrNotFinite) = true, want false", err)
	}
	var fe FieldError
	if !errors.As(err, &fe) || fe.Field != "queueLengthThreshold" {
		t.Errorf("errors.As(%v, FieldError) gave %+v, want the queueLengthThreshold error first", err, fe)
	}
}

func ptr[T any](v T) *T { return &v }

func TestMerge(t *testing.T) {
	base := CapacityScalingConfig{KvCacheThreshold: 0.75, QueueLengthThreshold: 10, KvSpareTrigger: 0.15, QueueSpareTrigger: 5}
	cases := map[string]struct {
		entry Entry
		want  CapacityScalingConfig
	}{
		"empty entry inherits everything": {entry: Entry{}, want: base},
		"partial override sets only its field": {
			entry: Entry{KvSpareTrigger: ptr(0.2)},
			want:  CapacityScalingConfig{KvCacheThreshold: 0.75, QueueLengthThreshold: 10, KvSpareTrigger: 0.2, QueueSpareTrigger: 5},
		},
		"explicit zeros are honoured": {
			entry: Entry{KvCacheThreshold: ptr(0.0), QueueLengthThreshold: ptr(0), KvSpareTrigger: ptr(0.0), QueueSpareTrigger: ptr(0)},
			want:  CapacityScalingConfig{},
		},
		"identity is carried": {
			entry: Entry{ModelID: "m", Namespace: "ns", QueueSpareTrigger: ptr(1)},
			want:  CapacityScalingConfig{ModelID: "m", Namespace: "ns", KvCacheThreshold: 0.75, QueueLengthThreshold: 10, KvSpareTrigger: 0.15, QueueSpareTrigger: 1},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, base.Merge(tc.entry)); diff != "" {
				t.Errorf("Merge: -want +got:\n%s", diff)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	cfg := CapacityScalingConfig{KvCacheThreshold: 0.7, QueueLengthThreshold: 3, KvSpareTrigger: 0.2, QueueSpareTrigger: 5}
	want := []string{"queueSpareTrigger (5) is greater than queueLengthThreshold (3): the spare queue capacity of a replica " +
		"(queueLengthThreshold minus its queue length) can never reach the trigger, so this model always signals scale-up"}
	if diff := cmp.Diff(want, cfg.Warnings()); diff != "" {
		t.Errorf("Warnings: -want +got:\n%s", diff)
	}
	cfg.QueueSpareTrigger = 3
	if got := cfg.Warnings(); got != nil {
		t.Errorf("Warnings with queueSpareTrigger == queueLengthThreshold = %q, want none", got)
	}
}

// TestWarningsPathologicalThresholds: a threshold of 0 is valid but makes
// every replica saturated; each one is named, alone or together.
func TestWarningsPathologicalThresholds(t *testing.T) {
	base := CapacityScalingConfig{KvCacheThreshold: 0.8, QueueLengthThreshold: 5, KvSpareTrigger: 0, QueueSpareTrigger: 0}
	for name, tc := range map[string]struct {
		kv    float64
		queue int
		want  []string
	}{
		"kvCacheThreshold 0":     {kv: 0, queue: 5, want: []string{"kvCacheThreshold is 0"}},
		"queueLengthThreshold 0": {kv: 0.8, queue: 0, want: []string{"queueLengthThreshold is 0"}},
		"both":                   {kv: 0, queue: 0, want: []string{"kvCacheThreshold is 0", "queueLengthThreshold is 0"}},
		"neither":                {kv: 0.8, queue: 5},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := base
			cfg.KvCacheThreshold, cfg.QueueLengthThreshold = tc.kv, tc.queue
			var got []string
			for _, w := range cfg.Warnings() {
				prefix, _, _ := strings.Cut(w, ":")
				got = append(got, prefix)
				if !strings.Contains(w, "always signals scale-up") {
					t.Errorf("warning %q does not say the model always scales up", w)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Warnings: -want +got:\n%s", diff)
			}
		})
	}
}

func TestFormatDecimal(t *testing.T) {
	cases := map[string]struct {
		in   float64
		want string
	}{
		"two decimals":      {1.5, "1.50"},
		"one decimal":       {0.8, "0.80"},
		"integer":           {2, "2.00"},
		"three decimals":    {1.005, "1.005"},
		"zero":              {0, "0.00"},
		"negative zero":     {math.Copysign(0, -1), "0.00"},
		"negative":          {-0.5, "-0.50"},
		"tiny":              {1e-9, "1e-09"},
		"huge":              {1e300, "1e+300"},
		"NaN":               {math.NaN(), "NaN"},
		"positive infinity": {math.Inf(1), "+Inf"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := formatDecimal(tc.in); got != tc.want {
				t.Errorf("formatDecimal(%v) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
