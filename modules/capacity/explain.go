package capacity

import "strings"

// Provenance says, for each of the four thresholds of an effective
// configuration, which entry set it: OverrideSource(key) for the override
// applied, SourceDefault for the `default` entry, or SourceBuiltin for the
// built-in defaults. An override that does not set a field inherits it from
// the default entry when that entry is valid and sets it, else from the
// built-ins; an explicit 0 counts as set.
type Provenance struct {
	KvCacheThreshold     Source
	QueueLengthThreshold Source
	KvSpareTrigger       Source
	QueueSpareTrigger    Source
}

// builtinProvenance is the provenance of the built-in defaults.
var builtinProvenance = Provenance{
	KvCacheThreshold:     SourceBuiltin,
	QueueLengthThreshold: SourceBuiltin,
	KvSpareTrigger:       SourceBuiltin,
	QueueSpareTrigger:    SourceBuiltin,
}

func builtinResolved() resolved {
	return resolved{config: DefaultCapacityScalingConfig(), source: SourceBuiltin, fields: builtinProvenance}
}

// apply returns p with the fields that e sets attributed to source, like
// CapacityScalingConfig.Merge does with the values.
func (p Provenance) apply(e Entry, source Source) Provenance {
	if e.KvCacheThreshold != nil {
		p.KvCacheThreshold = source
	}
	if e.QueueLengthThreshold != nil {
		p.QueueLengthThreshold = source
	}
	if e.KvSpareTrigger != nil {
		p.KvSpareTrigger = source
	}
	if e.QueueSpareTrigger != nil {
		p.QueueSpareTrigger = source
	}
	return p
}

// fieldSource is one threshold's name (as a ConfigMap entry spells it) and
// the entry that set it.
type fieldSource struct {
	name   string
	source Source
}

// fields lists the thresholds in the order of the CapacityScalingConfig
// fields.
func (p Provenance) fields() [4]fieldSource {
	return [4]fieldSource{
		{fieldKvCacheThreshold, p.KvCacheThreshold},
		{fieldQueueLengthThreshold, p.QueueLengthThreshold},
		{fieldKvSpareTrigger, p.KvSpareTrigger},
		{fieldQueueSpareTrigger, p.QueueSpareTrigger},
	}
}

// String returns the provenance as comma-separated field=source pairs, in
// the order of the CapacityScalingConfig fields, for logs and status:
//
//	kvCacheThreshold=override/granite-prod,queueLengthThreshold=default,kvSpareTrigger=override/granite-prod,queueSpareTrigger=builtin
//
// A field without a source (the zero Provenance) prints as field=.
func (p Provenance) String() string {
	var b strings.Builder
	for i, f := range p.fields() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f.name)
		b.WriteByte('=')
		b.WriteString(string(f.source))
	}
	return b.String()
}

// Inherited returns, in String's format, only the thresholds that source
// did not set, each with the entry it comes from: "" when source set every
// field. It is the compact form the controller writes to a
// VariantAutoscaling's status next to the whole configuration's source,
// for example "queueLengthThreshold=default,queueSpareTrigger=builtin" for
// an override that sets the two KV-cache thresholds.
func (p Provenance) Inherited(source Source) string {
	var b strings.Builder
	for _, f := range p.fields() {
		if f.source == source {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f.name)
		b.WriteByte('=')
		b.WriteString(string(f.source))
	}
	return b.String()
}

// Explanation is the effective configuration of one model in one namespace,
// where it comes from as a whole (the same Source as Resolve returns) and
// which entry set each threshold.
type Explanation struct {
	// Config is the effective configuration, as Resolve returns it.
	Config CapacityScalingConfig
	// Source is the entry the configuration was resolved from: the override
	// for this model and namespace, else the default entry, else the
	// built-ins.
	Source Source
	// Fields says which entry set each threshold of Config.
	Fields Provenance
}

// Explain is Resolve with field-level provenance: it returns the effective
// configuration of a model in a namespace, its Source and, for each
// threshold, the entry that set it. The provenance is computed by Parse, so
// Explain is a map lookup that allocates nothing. A nil snapshot explains
// the built-in defaults.
func (s *Snapshot) Explain(modelID, namespace string) Explanation {
	r := s.lookup(modelID, namespace)
	return Explanation{Config: r.config, Source: r.source, Fields: r.fields}
}

// lookup returns the resolved configuration of a model in a namespace.
func (s *Snapshot) lookup(modelID, namespace string) resolved {
	if s == nil {
		return builtinResolved()
	}
	if r, ok := s.overrides[modelKey{modelID: modelID, namespace: namespace}]; ok {
		return r
	}
	return s.base
}
