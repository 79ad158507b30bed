package admission

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/configwatch"
	"github.com/wva-project/wva/modules/controller/internal/options"
)

// Path is where the webhook server serves Validator; the
// ValidatingWebhookConfiguration's clientConfig.service.path.
const Path = "/validate-capacity-scaling-config"

// Bounds of what one response carries (Kubernetes truncates warnings longer
// than 256 characters and drops them past 4096 characters in all).
const (
	// MaxWarningChars is the longest warning, in characters.
	MaxWarningChars = 256
	// MaxWarnings is the most warnings one response carries, the summary
	// of those left out included.
	MaxWarnings = 12
	// maxDeniedReasons is how many entries a rejection message lists.
	maxDeniedReasons = 8
)

// Messages of this package (the others are the controller's log messages).
const (
	MsgMoreProblems = "More capacity scaling config problems than shown"
	MsgUndecodable  = "Capacity scaling ConfigMap could not be decoded by the admission webhook, admitted unchecked"
	MsgRejected     = "Capacity scaling ConfigMap rejected (--config-admission=enforce), fix or remove the invalid entries"
)

// Validator is the admission.Handler for the one capacity-scaling ConfigMap.
type Validator struct {
	// Key is the ConfigMap the controller reads; every other object is
	// admitted untouched (the webhook's matchConditions already exclude
	// them; this is the second line).
	Key types.NamespacedName
	// Mode is warn or enforce; off admits everything without a word.
	Mode options.ConfigAdmission
}

var _ admission.Handler = (*Validator)(nil)

// Handle admits or rejects one CREATE or UPDATE of the ConfigMap.
func (v *Validator) Handle(_ context.Context, req admission.Request) admission.Response {
	if v.Mode == options.ConfigAdmissionOff || !v.applies(req) {
		return admission.Allowed("")
	}
	cm := &corev1.ConfigMap{}
	if err := json.Unmarshal(req.Object.Raw, cm); err != nil {
		return admission.Allowed("").WithWarnings(clip(MsgUndecodable + " error=" + err.Error()))
	}
	if cm.Name != v.Key.Name {
		return admission.Allowed("")
	}
	snap := capacity.Parse(cm.Data, "")
	errs := snap.Errors()
	caveats := caveats(cm, snap)
	if v.Mode == options.ConfigAdmissionEnforce && len(errs) > 0 {
		return admission.Denied(deniedMessage(errs)).WithWarnings(bound(caveats)...)
	}
	return admission.Allowed("").WithWarnings(bound(append(invalidEntries(errs), caveats...))...)
}

// applies reports whether req is a CREATE or UPDATE in the ConfigMap's
// namespace. A DELETE carries no object to check and is always admitted.
func (v *Validator) applies(req admission.Request) bool {
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return false
	}
	if req.Kind.Group != "" || req.Kind.Kind != "ConfigMap" {
		return false
	}
	return req.Namespace == v.Key.Namespace
}

// invalidEntries is one warning per skipped entry, in the spec's WARN text.
func invalidEntries(errs []capacity.EntryError) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, configwatch.MsgInvalidEntry+" "+reason(e))
	}
	return out
}

// reason is an entry's problem as key=<key> error=<reasons>.
func reason(e capacity.EntryError) string { return "key=" + e.Key + " error=" + e.Error() }

// caveats are the lines the controller logs at WARN for an admitted
// ConfigMap: entries accepted with a warning, a missing or invalid default
// entry, and binaryData keys.
func caveats(cm *corev1.ConfigMap, snap *capacity.Snapshot) []string {
	var out []string
	for _, w := range snap.Warnings() {
		out = append(out, configwatch.MsgEntryWarning+" key="+w.Key+" warning="+w.Message)
	}
	if !snap.HasDefault() {
		if _, present := cm.Data[capacity.DefaultKey]; present {
			out = append(out, configwatch.MsgInvalidDefault)
		} else {
			out = append(out, configwatch.MsgNoDefault)
		}
	}
	if keys := capacity.IgnoredBinaryDataKeys(cm.BinaryData); len(keys) > 0 {
		shown := keys[:min(len(keys), maxDeniedReasons)]
		out = append(out, capacity.BinaryDataIgnored+" keys=["+strings.Join(shown, " ")+"] count="+strconv.Itoa(len(keys)))
	}
	return out
}

// bound clips every line to MaxWarningChars and keeps at most MaxWarnings,
// the last of which then counts the lines left out.
func bound(lines []string) []string {
	if len(lines) == 0 {
		return nil
	}
	n := len(lines)
	if n > MaxWarnings {
		lines = lines[:MaxWarnings-1]
	}
	out := make([]string, 0, len(lines)+1)
	for _, l := range lines {
		out = append(out, clip(l))
	}
	if n > MaxWarnings {
		out = append(out, MsgMoreProblems+" shown="+strconv.Itoa(MaxWarnings-1)+" total="+strconv.Itoa(n))
	}
	return out
}

// deniedMessage lists the first maxDeniedReasons invalid entries (each
// clipped) and counts the rest, so that the message stays a few kilobytes.
func deniedMessage(invalid []capacity.EntryError) string {
	var b strings.Builder
	b.WriteString(MsgRejected)
	b.WriteString(" invalid=")
	b.WriteString(strconv.Itoa(len(invalid)))
	for i, e := range invalid {
		if i == maxDeniedReasons {
			b.WriteString("; and ")
			b.WriteString(strconv.Itoa(len(invalid) - i))
			b.WriteString(" more invalid entries")
			break
		}
		b.WriteString("; ")
		b.WriteString(clip(reason(e)))
	}
	return b.String()
}

// clip cuts s to MaxWarningChars characters, ending in "…" when cut, without
// splitting a UTF-8 sequence.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= MaxWarningChars {
		return s
	}
	i, n := 0, 0
	for n < MaxWarningChars-1 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	return s[:i] + "…"
}
