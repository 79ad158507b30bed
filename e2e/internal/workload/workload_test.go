package workload

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/wva-project/wva/e2e/internal/emulator"
)

func testModel() Model {
	return Model{
		Namespace: "ns",
		Name:      "granite",
		ModelID:   "ibm/granite-13b",
		Image:     "localhost/wva-e2e/vllm-emulator:dev",
		Engine:    emulator.Config{KVCacheTokens: 800, MaxNumSeqs: 8, PrefillTokensPerSecond: 8000, DecodeTokensPerSecond: 40},
		Request:   emulator.Request{PromptTokens: 40, OutputTokens: 60},
		Variants:  []Variant{{Name: "cheap", Replicas: 1}, {Name: "costly", Replicas: 0}},
	}
}

func TestSizing(t *testing.T) {
	m := testModel()
	if got, want := m.RequestDuration(), 1505*time.Millisecond; got != want {
		t.Errorf("RequestDuration() = %s, want %s (40/8000 s + 60/40 s)", got, want)
	}
	if got := m.Slots(); got != 8 {
		t.Errorf("Slots() = %d, want 8", got)
	}
	if got := m.KVUsage(6); got != 0.75 {
		t.Errorf("KVUsage(6) = %g, want 0.75", got)
	}
	m.Engine.MaxNumSeqs = 4
	if got := m.Slots(); got != 4 {
		t.Errorf("Slots() with MaxNumSeqs 4 = %d, want 4", got)
	}
	m.Engine.MaxNumSeqs, m.Engine.KVCacheTokens = 16, 450
	if got := m.Slots(); got != 4 {
		t.Errorf("Slots() with a 450-token cache = %d, want 4 (100 tokens a request)", got)
	}
}

func TestValidate(t *testing.T) {
	cases := map[string]struct {
		edit func(*Model)
		want []string // substrings of the error
	}{
		"valid":           {edit: func(*Model) {}},
		"bad name":        {edit: func(m *Model) { m.Name = "Granite_13b" }, want: []string{"name"}},
		"no model ID":     {edit: func(m *Model) { m.ModelID = "" }, want: []string{"model ID"}},
		"request > KV":    {edit: func(m *Model) { m.Request.OutputTokens = 1000 }, want: []string{"do not fit"}},
		"bad engine":      {edit: func(m *Model) { m.Engine.MaxNumSeqs = 0 }, want: []string{"engine", "MaxNumSeqs"}},
		"no variants":     {edit: func(m *Model) { m.Variants = nil }, want: []string{"variants"}},
		"duplicate":       {edit: func(m *Model) { m.Variants[1].Name = "cheap" }, want: []string{"duplicate"}},
		"every problem":   {edit: func(m *Model) { m.Image, m.Variants[0].Replicas = "", -1 }, want: []string{"image", "replicas -1"}},
		"long Deployment": {edit: func(m *Model) { m.Variants[0].Name = strings.Repeat("v", 60) }, want: []string{"Deployment name"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m := testModel()
			tc.edit(&m)
			err := m.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate: nil, want an error naming %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate: %v, want it to name %q", err, w)
				}
			}
		})
	}
}

// TestSelectors checks that the Service selects the pods of every variant
// and each Deployment only its own.
func TestSelectors(t *testing.T) {
	m := testModel()
	svc := labels.SelectorFromSet(m.Service().Spec.Selector)
	for _, v := range m.Variants {
		d := m.Deployment(v)
		pod := labels.Set(d.Spec.Template.Labels)
		if !svc.Matches(pod) {
			t.Errorf("Service selector %s does not match the pods of variant %s (%v)", svc, v.Name, pod)
		}
		if pod[LabelScrape] != "true" {
			t.Errorf("variant %s: pods lack %s=true", v.Name, LabelScrape)
		}
		for _, other := range m.Variants {
			own := labels.SelectorFromSet(d.Spec.Selector.MatchLabels)
			otherPods := labels.Set(m.Deployment(other).Spec.Template.Labels)
			if got, want := own.Matches(otherPods), other.Name == v.Name; got != want {
				t.Errorf("Deployment %s selects the pods of variant %s: %v, want %v", d.Name, other.Name, got, want)
			}
		}
		c := d.Spec.Template.Spec.Containers[0]
		if c.ImagePullPolicy != "IfNotPresent" || c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/health" {
			t.Errorf("variant %s: pull policy %q, readiness probe %+v; want IfNotPresent and GET /health", v.Name, c.ImagePullPolicy, c.ReadinessProbe)
		}
		for _, want := range []string{"-model=ibm/granite-13b", "-kv-cache-tokens=800", "-max-num-seqs=8", "-prompt-tokens=40", "-default-max-tokens=60"} {
			if !slices.Contains(c.Args, want) {
				t.Errorf("variant %s: args %q lack %q", v.Name, c.Args, want)
			}
		}
	}
	if got, want := m.DeploymentName("cheap"), "granite-cheap"; got != want {
		t.Errorf("DeploymentName = %q, want %q", got, want)
	}
}

func TestJob(t *testing.T) {
	m := testModel()
	job, err := m.Job(Load{Name: "load", Image: "localhost/wva-e2e/loadgen:dev", Profile: "ramp:0-10:30s,hold:10:30s"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := *job.Spec.ActiveDeadlineSeconds, int64(60+30+60); got != want {
		t.Errorf("activeDeadlineSeconds = %d, want %d (profile + request timeout + 1m)", got, want)
	}
	if *job.Spec.BackoffLimit != 0 || job.Spec.Template.Spec.RestartPolicy != "Never" {
		t.Errorf("backoffLimit %d, restartPolicy %s: want one run, never restarted", *job.Spec.BackoffLimit, job.Spec.Template.Spec.RestartPolicy)
	}
	args := job.Spec.Template.Spec.Containers[0].Args
	for _, want := range []string{"-target=http://granite.ns.svc:8000", "-model=ibm/granite-13b", "-profile=ramp:0-10:30s,hold:10:30s",
		"-prompt-tokens=40", "-max-tokens=60", "-max-error-percent=1"} {
		if !slices.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	if _, err := m.Job(Load{Name: "load", Image: "x", Profile: "hold:10"}); err == nil {
		t.Error("Job with a bad profile: nil error")
	}
}

func TestObjects(t *testing.T) {
	objs, err := testModel().Objects()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.GetKind()+"/"+o.GetName())
		if _, ok := o.Object["status"]; ok {
			t.Errorf("%s %s carries a status", o.GetKind(), o.GetName())
		}
	}
	if diff := cmp.Diff([]string{"Deployment/granite-cheap", "Deployment/granite-costly", "Service/granite"}, got); diff != "" {
		t.Errorf("Objects: -want +got:\n%s", diff)
	}
}

func TestParseSummary(t *testing.T) {
	log := strings.Join([]string{
		"2026-11-26T19:10:44.123456789Z loadgen: POST http://granite:8000/v1/completions, profile hold:1:1s, repeat 1, metrics on [::]:9090",
		`2026-11-26T19:10:54.1Z {"kind":"progress","elapsed_seconds":10,"offered_rps":1,"scheduled":10}`,
		`2026-11-26T19:11:00.2Z {"kind":"summary","profile":"hold:1:1s","scheduled":200,"sent":200,"succeeded":199,"failed":1,"error_rate_percent":0.5,"interrupted":false}`,
		"",
	}, "\n")
	s, err := ParseSummary([]byte(log))
	if err != nil {
		t.Fatal(err)
	}
	if s.Scheduled != 200 || s.Failed != 1 || s.ErrorRatePercent != 0.5 {
		t.Errorf("ParseSummary = %+v, want 200 scheduled, 1 failed, 0.5%%", s)
	}
	start, ok, err := StartTime([]byte(log))
	if err != nil || !ok {
		t.Fatalf("StartTime: %v %v", ok, err)
	}
	if want := time.Date(2026, 11, 26, 19, 10, 44, 123456789, time.UTC); !start.Equal(want) {
		t.Errorf("StartTime = %s, want %s", start, want)
	}
	if _, err := ParseSummary([]byte(strings.SplitN(log, "\n", 2)[0])); !errors.Is(err, ErrNoSummary) {
		t.Errorf("ParseSummary without a summary: %v, want ErrNoSummary", err)
	}
	if _, ok, err := StartTime(nil); ok || err != nil {
		t.Errorf("StartTime of an empty log: %v %v, want false, nil", ok, err)
	}
}
