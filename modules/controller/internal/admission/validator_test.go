package admission

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/wva-project/wva/modules/controller/internal/options"
)

var key = types.NamespacedName{Namespace: "wva-system", Name: "capacity-scaling-config"}

const goodDefault = "kvCacheThreshold: 0.80\nqueueLengthThreshold: 5\nkvSpareTrigger: 0.1\nqueueSpareTrigger: 3\n"

func request(t *testing.T, op admissionv1.Operation, cm *corev1.ConfigMap) admission.Request {
	t.Helper()
	raw, err := json.Marshal(cm)
	if err != nil {
		t.Fatal(err)
	}
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "1", Operation: op, Name: cm.Name, Namespace: cm.Namespace,
		Kind:     metav1.GroupVersionKind{Version: "v1", Kind: "ConfigMap"},
		Resource: metav1.GroupVersionResource{Version: "v1", Resource: "configmaps"},
	}}
	if op != admissionv1.Delete {
		req.Object = runtime.RawExtension{Raw: raw}
	} else {
		req.OldObject = runtime.RawExtension{Raw: raw}
	}
	return req
}

func configMap(data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: key.Name, Namespace: key.Namespace},
		Data:       data,
	}
}

func TestValidator(t *testing.T) {
	invalid := map[string]string{
		"default": goodDefault,
		"bad-kv":  "model_id: a\nnamespace: ns\nkvCacheThreshold: 1.5\n",
		"no-ns":   "model_id: b\nkvCacheThreshold: 0.5\n",
		"good":    "model_id: c\nnamespace: ns\nkvCacheThreshold: 0.9\n",
	}
	wantInvalid := []string{
		"Invalid capacity scaling config entry, skipping key=bad-kv error=kvCacheThreshold must be between 0 and 1, got 1.50",
		"Invalid capacity scaling config entry, skipping key=no-ns error=",
	}
	other := configMap(invalid)
	other.Name = "someone-elses"
	otherNS := configMap(invalid)
	otherNS.Namespace = "elsewhere"
	cases := map[string]struct {
		mode         options.ConfigAdmission
		op           admissionv1.Operation
		cm           *corev1.ConfigMap
		wantAllowed  bool
		wantWarnings []string // prefixes, in order
		wantReasons  []string // substrings of the rejection message
	}{
		"warn: valid, no warnings": {
			mode: options.ConfigAdmissionWarn, op: admissionv1.Create, cm: configMap(map[string]string{"default": goodDefault}),
			wantAllowed: true,
		},
		"warn: admitted, one warning per bad entry": {
			mode: options.ConfigAdmissionWarn, op: admissionv1.Update, cm: configMap(invalid),
			wantAllowed: true, wantWarnings: wantInvalid,
		},
		"enforce: valid is admitted": {
			mode: options.ConfigAdmissionEnforce, op: admissionv1.Update, cm: configMap(map[string]string{"default": goodDefault}),
			wantAllowed: true,
		},
		"enforce: rejected with every reason": {
			mode: options.ConfigAdmissionEnforce, op: admissionv1.Create, cm: configMap(invalid),
			wantReasons: []string{
				"invalid=2",
				"; key=bad-kv error=kvCacheThreshold must be between 0 and 1, got 1.50",
				"; key=no-ns error=namespace is required",
			},
		},
		"enforce: caveats alone do not reject": {
			mode: options.ConfigAdmissionEnforce, op: admissionv1.Create, cm: configMap(map[string]string{
				"default": "kvCacheThreshold: 0.80\nqueueLengthThreshold: 2\nkvSpareTrigger: 0.1\nqueueSpareTrigger: 3\n",
			}),
			wantAllowed:  true,
			wantWarnings: []string{"Capacity scaling config entry accepted with a warning key=default warning="},
		},
		"off: admitted silently": {
			mode: options.ConfigAdmissionOff, op: admissionv1.Create, cm: configMap(invalid),
			wantAllowed: true,
		},
		"another ConfigMap is untouched": {
			mode: options.ConfigAdmissionEnforce, op: admissionv1.Create, cm: other, wantAllowed: true,
		},
		"another namespace is untouched": {
			mode: options.ConfigAdmissionEnforce, op: admissionv1.Create, cm: otherNS, wantAllowed: true,
		},
		"delete is admitted": {
			mode: options.ConfigAdmissionEnforce, op: admissionv1.Delete, cm: configMap(invalid), wantAllowed: true,
		},
		"missing default and binaryData": {
			mode: options.ConfigAdmissionWarn, op: admissionv1.Create,
			cm: func() *corev1.ConfigMap {
				cm := configMap(nil)
				cm.BinaryData = map[string][]byte{"default": {0xff}, "b": nil}
				return cm
			}(),
			wantAllowed: true,
			wantWarnings: []string{
				"No 'default' entry in capacity scaling ConfigMap, using hardcoded defaults",
				"Capacity scaling ConfigMap binaryData is ignored, entries are read from data only keys=[b default] count=2",
			},
		},
		"invalid default": {
			mode: options.ConfigAdmissionWarn, op: admissionv1.Create, cm: configMap(map[string]string{"default": "kvCacheThreshold: 2\n"}),
			wantAllowed: true,
			wantWarnings: []string{
				"Invalid capacity scaling config entry, skipping key=default error=kvCacheThreshold must be between 0 and 1, got 2.00",
				"Invalid 'default' entry in capacity scaling ConfigMap skipped, using hardcoded defaults",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			v := &Validator{Key: key, Mode: tc.mode}
			resp := v.Handle(context.Background(), request(t, tc.op, tc.cm))
			if resp.Allowed != tc.wantAllowed {
				t.Fatalf("Allowed = %v, want %v (result %+v)", resp.Allowed, tc.wantAllowed, resp.Result)
			}
			if len(resp.Warnings) != len(tc.wantWarnings) {
				t.Fatalf("warnings:\n%s\nwant %d starting with:\n%s", strings.Join(resp.Warnings, "\n"), len(tc.wantWarnings), strings.Join(tc.wantWarnings, "\n"))
			}
			for i, w := range tc.wantWarnings {
				if !strings.HasPrefix(resp.Warnings[i], w) {
					t.Errorf("warning %d = %q, want prefix %q", i, resp.Warnings[i], w)
				}
			}
			for _, r := range tc.wantReasons {
				if resp.Result == nil || !strings.Contains(resp.Result.Message, r) {
					t.Errorf("rejection %+v does not contain %q", resp.Result, r)
				}
			}
		})
	}
}

// TestValidatorBoundsHugeInput: thousands of bad entries with long values
// still give at most MaxWarnings warnings of at most MaxWarningChars each,
// and a rejection message of a few kilobytes.
func TestValidatorBoundsHugeInput(t *testing.T) {
	data := map[string]string{"default": goodDefault}
	long := strings.Repeat("é", 2000)
	for i := range 500 {
		data[strings.Repeat("k", 200)+strconv.Itoa(i)] = "model_id: " + long + "\nnamespace: ns\nkvCacheThreshold: \"" + long + "\"\n"
	}
	cm := configMap(data)
	cm.BinaryData = map[string][]byte{}
	for i := range 1000 {
		cm.BinaryData[strings.Repeat("b", 200)+strconv.Itoa(i)] = nil
	}

	warn := (&Validator{Key: key, Mode: options.ConfigAdmissionWarn}).Handle(context.Background(), request(t, admissionv1.Update, cm))
	if !warn.Allowed {
		t.Fatalf("warn mode rejected: %+v", warn.Result)
	}
	if len(warn.Warnings) != MaxWarnings {
		t.Errorf("%d warnings, want %d", len(warn.Warnings), MaxWarnings)
	}
	total := 0
	for _, w := range warn.Warnings {
		n := utf8.RuneCountInString(w)
		total += n
		if n > MaxWarningChars || !utf8.ValidString(w) {
			t.Errorf("warning of %d characters (valid UTF-8: %v): %.80q", n, utf8.ValidString(w), w)
		}
	}
	if total > 4096 {
		t.Errorf("warnings total %d characters, want at most 4096", total)
	}
	if want := MsgMoreProblems + " shown=11 total=501"; warn.Warnings[MaxWarnings-1] != want {
		t.Errorf("last warning = %q, want %q", warn.Warnings[MaxWarnings-1], want)
	}

	enforce := (&Validator{Key: key, Mode: options.ConfigAdmissionEnforce}).Handle(context.Background(), request(t, admissionv1.Update, cm))
	if enforce.Allowed {
		t.Fatal("enforce mode admitted 500 invalid entries")
	}
	msg := enforce.Result.Message
	if n := utf8.RuneCountInString(msg); n > (maxDeniedReasons+1)*(MaxWarningChars+2)+100 {
		t.Errorf("rejection message has %d characters", n)
	}
	if !strings.Contains(msg, "invalid=500") || !strings.Contains(msg, "and 492 more invalid entries") {
		t.Errorf("rejection message does not count the entries: %.300q", msg)
	}
	// The caveats still come as warnings: here the binaryData line only.
	if len(enforce.Warnings) != 1 || !strings.HasPrefix(enforce.Warnings[0], "Capacity scaling ConfigMap binaryData is ignored") {
		t.Errorf("enforce warnings = %.300q, want the binaryData line only", enforce.Warnings)
	}
}

func TestValidatorUndecodableIsAdmitted(t *testing.T) {
	req := request(t, admissionv1.Create, configMap(nil))
	req.Object.Raw = []byte("{not json")
	resp := (&Validator{Key: key, Mode: options.ConfigAdmissionEnforce}).Handle(context.Background(), req)
	if !resp.Allowed || len(resp.Warnings) != 1 || !strings.HasPrefix(resp.Warnings[0], MsgUndecodable) {
		t.Errorf("undecodable object: allowed=%v warnings=%q, want admitted with one warning", resp.Allowed, resp.Warnings)
	}
}

func TestClip(t *testing.T) {
	cases := map[string]struct{ in, want string }{
		"short":     {in: "abc", want: "abc"},
		"exact":     {in: strings.Repeat("a", MaxWarningChars), want: strings.Repeat("a", MaxWarningChars)},
		"long":      {in: strings.Repeat("a", MaxWarningChars+1), want: strings.Repeat("a", MaxWarningChars-1) + "…"},
		"multibyte": {in: strings.Repeat("é", MaxWarningChars+5), want: strings.Repeat("é", MaxWarningChars-1) + "…"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, clip(tc.in)); diff != "" {
				t.Errorf("clip: -want +got:\n%s", diff)
			}
		})
	}
}
