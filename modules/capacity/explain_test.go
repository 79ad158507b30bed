package capacity

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExplain(t *testing.T) {
	const kvOnlyDefault = "kvCacheThreshold: 0.7\nkvSpareTrigger: 0.2"
	gp := OverrideSource("granite-prod")
	g := func(c CapacityScalingConfig) CapacityScalingConfig {
		return override("ibm/granite-13b", "production", c)
	}
	prov := func(kv, queue, kvTrigger, queueTrigger Source) Provenance {
		return Provenance{KvCacheThreshold: kv, QueueLengthThreshold: queue, KvSpareTrigger: kvTrigger, QueueSpareTrigger: queueTrigger}
	}
	cases := map[string]struct {
		snapshot *Snapshot
		modelID  string // ibm/granite-13b unless set
		want     Explanation
	}{
		"nil snapshot": {
			snapshot: nil,
			want:     Explanation{Config: DefaultCapacityScalingConfig(), Source: SourceBuiltin, Fields: builtinProvenance},
		},
		"builtin snapshot": {
			snapshot: Builtin(),
			want:     Explanation{Config: DefaultCapacityScalingConfig(), Source: SourceBuiltin, Fields: builtinProvenance},
		},
		"override sets every field": {
			snapshot: Parse(map[string]string{DefaultKey: fullDefault, "granite-prod": granite + fullDefault}, "1"),
			want:     Explanation{Config: g(cfg(0.75, 10, 0.15, 5)), Source: gp, Fields: prov(gp, gp, gp, gp)},
		},
		"override sets some fields and inherits the others from a full default": {
			snapshot: Parse(map[string]string{DefaultKey: fullDefault, "granite-prod": granite + "kvCacheThreshold: 0.9\nkvSpareTrigger: 0.3"}, "1"),
			want: Explanation{Config: g(cfg(0.9, 10, 0.3, 5)), Source: gp,
				Fields: prov(gp, SourceDefault, gp, SourceDefault)},
		},
		"override inherits from a partial default, and the rest from the built-ins": {
			snapshot: Parse(map[string]string{DefaultKey: kvOnlyDefault, "granite-prod": granite + "queueLengthThreshold: 8"}, "1"),
			want: Explanation{Config: g(cfg(0.7, 8, 0.2, 3)), Source: gp,
				Fields: prov(SourceDefault, gp, SourceDefault, SourceBuiltin)},
		},
		"override inherits from the built-ins without a default": {
			snapshot: Parse(map[string]string{"granite-prod": granite + "kvCacheThreshold: 0.9"}, "1"),
			want: Explanation{Config: g(cfg(0.9, 5, 0.1, 3)), Source: gp,
				Fields: prov(gp, SourceBuiltin, SourceBuiltin, SourceBuiltin)},
		},
		"override inherits from the built-ins when the default is invalid": {
			snapshot: Parse(map[string]string{DefaultKey: "kvCacheThreshold: 2\nqueueLengthThreshold: 9", "granite-prod": granite + "kvSpareTrigger: 0.2"}, "1"),
			want: Explanation{Config: g(cfg(0.8, 5, 0.2, 3)), Source: gp,
				Fields: prov(SourceBuiltin, SourceBuiltin, gp, SourceBuiltin)},
		},
		"explicit zero in an override is honoured": {
			snapshot: Parse(map[string]string{DefaultKey: fullDefault, "granite-prod": granite + "kvSpareTrigger: 0\nqueueSpareTrigger: 0"}, "1"),
			want: Explanation{Config: g(cfg(0.75, 10, 0, 0)), Source: gp,
				Fields: prov(SourceDefault, SourceDefault, gp, gp)},
		},
		"explicit zero in the default is honoured": {
			snapshot: Parse(map[string]string{DefaultKey: "queueSpareTrigger: 0"}, "1"),
			want: Explanation{Config: cfg(0.8, 5, 0.1, 0), Source: SourceDefault,
				Fields: prov(SourceBuiltin, SourceBuiltin, SourceBuiltin, SourceDefault)},
		},
		"model without an override gets the default entry": {
			snapshot: Parse(map[string]string{DefaultKey: kvOnlyDefault, "granite-prod": granite + "queueLengthThreshold: 8"}, "1"),
			modelID:  "meta/llama-70b",
			want: Explanation{Config: cfg(0.7, 5, 0.2, 3), Source: SourceDefault,
				Fields: prov(SourceDefault, SourceBuiltin, SourceDefault, SourceBuiltin)},
		},
		"empty default sets nothing": {
			snapshot: Parse(map[string]string{DefaultKey: ""}, "1"),
			want:     Explanation{Config: DefaultCapacityScalingConfig(), Source: SourceDefault, Fields: builtinProvenance},
		},
		"invalid override: the model gets the default": {
			snapshot: Parse(map[string]string{DefaultKey: fullDefault, "granite-prod": granite + "kvCacheThreshold: 1.5"}, "1"),
			want: Explanation{Config: cfg(0.75, 10, 0.15, 5), Source: SourceDefault,
				Fields: prov(SourceDefault, SourceDefault, SourceDefault, SourceDefault)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			modelID := tc.modelID
			if modelID == "" {
				modelID = "ibm/granite-13b"
			}
			got := tc.snapshot.Explain(modelID, "production")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Explain: -want +got:\n%s", diff)
			}
			cfg, source := tc.snapshot.Resolve(modelID, "production")
			if diff := cmp.Diff(Explanation{Config: cfg, Source: source, Fields: got.Fields}, got); diff != "" {
				t.Errorf("Explain disagrees with Resolve: -Resolve +Explain:\n%s", diff)
			}
		})
	}
}

func TestProvenanceString(t *testing.T) {
	cases := map[string]struct {
		p    Provenance
		want string
	}{
		"mixed": {
			p: Provenance{KvCacheThreshold: OverrideSource("granite-prod"), QueueLengthThreshold: SourceDefault,
				KvSpareTrigger: OverrideSource("granite-prod"), QueueSpareTrigger: SourceBuiltin},
			want: "kvCacheThreshold=override/granite-prod,queueLengthThreshold=default,kvSpareTrigger=override/granite-prod,queueSpareTrigger=builtin",
		},
		"builtin": {
			p:    builtinProvenance,
			want: "kvCacheThreshold=builtin,queueLengthThreshold=builtin,kvSpareTrigger=builtin,queueSpareTrigger=builtin",
		},
		"zero": {
			p:    Provenance{},
			want: "kvCacheThreshold=,queueLengthThreshold=,kvSpareTrigger=,queueSpareTrigger=",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.p.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestProvenanceInherited(t *testing.T) {
	prod := OverrideSource("granite-prod")
	p := Provenance{KvCacheThreshold: prod, QueueLengthThreshold: SourceDefault, KvSpareTrigger: prod, QueueSpareTrigger: SourceBuiltin}
	for _, tc := range []struct {
		source Source
		want   string
	}{
		{prod, "queueLengthThreshold=default,queueSpareTrigger=builtin"},
		{SourceDefault, "kvCacheThreshold=override/granite-prod,kvSpareTrigger=override/granite-prod,queueSpareTrigger=builtin"},
		{SourceBuiltin, "kvCacheThreshold=override/granite-prod,queueLengthThreshold=default,kvSpareTrigger=override/granite-prod"},
	} {
		if got := p.Inherited(tc.source); got != tc.want {
			t.Errorf("Inherited(%s) = %q, want %q", tc.source, got, tc.want)
		}
	}
	if got := builtinProvenance.Inherited(SourceBuiltin); got != "" {
		t.Errorf("built-in provenance inherits %q from outside builtin, want nothing", got)
	}
}

func TestExplainAllocatesNothing(t *testing.T) {
	s := Parse(syntheticData(100), "1")
	var nilSnapshot *Snapshot
	for name, explain := range map[string]func() Explanation{
		"override": func() Explanation { return s.Explain("org/model-42", "ns") },
		"default":  func() Explanation { return s.Explain("org/unknown", "ns") },
		"nil":      func() Explanation { return nilSnapshot.Explain("org/unknown", "ns") },
	} {
		allocs := testing.AllocsPerRun(1000, func() {
			if e := explain(); e.Fields.KvCacheThreshold == "" {
				t.Fatal("empty provenance")
			}
		})
		if allocs != 0 {
			t.Errorf("Explain (%s) allocates %.1f times per call, want 0", name, allocs)
		}
	}
}
