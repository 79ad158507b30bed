package workload

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	"github.com/wva-project/wva/e2e/internal/loadgen"
)

// Load is a run of the load generator against a model.
type Load struct {
	// Name is the Job's name.
	Name string
	// Image is the load generator's image.
	Image string
	// Profile is the rate profile, e.g. ramp:0-12:60s,hold:12:120s.
	Profile string
	// RequestTimeout bounds each request (default 30s).
	RequestTimeout time.Duration
	// MaxErrorPercent is the error rate above which the Job fails (default 1).
	MaxErrorPercent float64
}

// defaults fills the zero fields.
func (l Load) defaults() Load {
	if l.RequestTimeout <= 0 {
		l.RequestTimeout = 30 * time.Second
	}
	if l.MaxErrorPercent == 0 {
		l.MaxErrorPercent = 1
	}
	return l
}

// ParsedProfile parses the load's profile.
func (l Load) ParsedProfile() (loadgen.Profile, error) {
	return loadgen.ParseProfile(l.Profile)
}

// Deadline is the Job's activeDeadlineSeconds: the profile, the drain of
// the last requests and a minute for the pod to start. The load stops by
// itself at the end of the profile; the deadline stops it if it does not.
func (l Load) Deadline() (time.Duration, error) {
	p, err := l.ParsedProfile()
	if err != nil {
		return 0, err
	}
	return p.Duration() + l.defaults().RequestTimeout + time.Minute, nil
}

// Job is the load generator's Job for model m: one pod, never restarted (a
// second run would offer the profile twice), that offers m's Service the
// profile and exits; it fails when more than MaxErrorPercent of the
// requests failed.
func (m Model) Job(l Load) (*batchv1.Job, error) {
	l = l.defaults()
	var errs []error
	for _, msg := range validation.IsDNS1123Label(l.Name) {
		errs = append(errs, fmt.Errorf("load name %q: %s", l.Name, msg))
	}
	if l.Image == "" {
		errs = append(errs, errors.New("load image: must not be empty"))
	}
	deadline, err := l.Deadline()
	if err != nil {
		errs = append(errs, fmt.Errorf("load profile %q: %w", l.Profile, err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	labels := map[string]string{LabelApp: loadgenApp, LabelModel: m.Name}
	podLabels := map[string]string{LabelApp: loadgenApp, LabelModel: m.Name, LabelScrape: "true"}
	args := []string{
		"-target=" + m.URL(),
		"-model=" + m.ModelID,
		"-profile=" + l.Profile,
		"-prompt-tokens=" + strconv.Itoa(m.Request.PromptTokens),
		"-max-tokens=" + strconv.Itoa(m.Request.OutputTokens),
		"-request-timeout=" + l.RequestTimeout.String(),
		"-max-error-percent=" + formatFloat(l.MaxErrorPercent),
		"-progress-interval=10s",
		"-metrics-listen=:" + strconv.Itoa(LoadgenMetricsPort),
	}
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Namespace: m.Namespace, Name: l.Name, Labels: labels},
		Spec: batchv1.JobSpec{
			BackoffLimit:          ptr.To[int32](0),
			ActiveDeadlineSeconds: ptr.To(int64(deadline.Seconds())),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec: corev1.PodSpec{
					RestartPolicy:                 corev1.RestartPolicyNever,
					AutomountServiceAccountToken:  ptr.To(false),
					TerminationGracePeriodSeconds: ptr.To[int64](5),
					SecurityContext:               restrictedPod(),
					Containers: []corev1.Container{{
						Name:            loadgenApp,
						Image:           l.Image,
						ImagePullPolicy: corev1.PullIfNotPresent,
						Args:            args,
						Ports:           []corev1.ContainerPort{{Name: PortMetrics, ContainerPort: LoadgenMetricsPort}},
						Resources:       smallResources(),
						SecurityContext: restrictedContainer(),
					}},
				},
			},
		},
	}, nil
}

// Summary is the load generator's summary line.
type Summary = loadgen.Summary

// ErrNoSummary is matched by ParseSummary's error when the output has no
// summary line (the run did not end, or its log was cut).
var ErrNoSummary = errors.New("no summary line in the load generator's output")

// ParseSummary finds the summary line in the load generator's standard
// output (its pod log) and decodes it. Log lines may carry the container
// runtime's timestamp prefix (`kubectl logs --timestamps`).
func ParseSummary(log []byte) (Summary, error) {
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	var found *Summary
	for sc.Scan() {
		line := sc.Bytes()
		if i := bytes.IndexByte(line, '{'); i >= 0 {
			line = line[i:]
		} else {
			continue
		}
		var probe struct {
			Kind string `json:"kind"`
		}
		if json.Unmarshal(line, &probe) != nil || probe.Kind != "summary" {
			continue
		}
		var s Summary
		if err := json.Unmarshal(line, &s); err != nil {
			return Summary{}, fmt.Errorf("decoding the summary line %q: %w", line, err)
		}
		found = &s
	}
	if err := sc.Err(); err != nil {
		return Summary{}, fmt.Errorf("reading the load generator's output: %w", err)
	}
	if found == nil {
		return Summary{}, ErrNoSummary
	}
	return *found, nil
}
