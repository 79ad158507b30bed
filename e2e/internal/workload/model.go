package workload

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	"github.com/wva-project/wva/e2e/internal/emulator"
)

// Labels and ports of what the package creates.
const (
	// LabelModel is on every object of a model, with Model.Name as value;
	// the Service selects the pods of all variants on it.
	LabelModel = "e2e.wva-project.io/model"
	// LabelVariant is on a variant's Deployment and pods, with the
	// variant's name as value; the Deployment selects on it and LabelModel.
	LabelVariant = "e2e.wva-project.io/variant"
	// LabelScrape ("true") marks the pods the suite's Prometheus scrapes.
	LabelScrape = "e2e.wva-project.io/scrape"
	// LabelApp names the program a pod runs (vllm-emulator or loadgen).
	LabelApp = "app.kubernetes.io/name"

	// EmulatorPort serves the OpenAI API, /health and /metrics.
	EmulatorPort = 8000
	// LoadgenMetricsPort serves the load generator's /metrics.
	LoadgenMetricsPort = 9090
	// PortHTTP and PortMetrics are the container port names Prometheus
	// scrapes (the emulator's API port also serves its metrics).
	PortHTTP    = "http"
	PortMetrics = "metrics"

	emulatorApp = "vllm-emulator"
	loadgenApp  = "loadgen"
)

// Model is an emulated model: its variants, each a Deployment of the vLLM
// emulator, behind one Service.
type Model struct {
	// Namespace holds every object of the model.
	Namespace string
	// Name is the Service's name and the prefix of the Deployments
	// (<Name>-<variant>); a DNS label.
	Name string
	// ModelID is the served model name (vLLM's model_name label; the
	// VariantAutoscalings' spec.modelID).
	ModelID string
	// Image is the vLLM emulator's image.
	Image string
	// Engine is the emulated engine of every replica.
	Engine emulator.Config
	// Request is the size of every request: the emulator counts every
	// prompt as Request.PromptTokens tokens, and the load generator asks
	// for Request.OutputTokens (max_tokens).
	Request emulator.Request
	// Variants are the model's variants, each with its starting replicas.
	Variants []Variant
}

// Variant is one Deployment of the model.
type Variant struct {
	// Name is a DNS label, unique within the model.
	Name string
	// Replicas is the Deployment's spec.replicas when created.
	Replicas int32
}

// Validate returns every problem of m.
func (m Model) Validate() error {
	var errs []error
	for _, f := range []struct{ field, value string }{{"namespace", m.Namespace}, {"name", m.Name}} {
		for _, msg := range validation.IsDNS1123Label(f.value) {
			errs = append(errs, fmt.Errorf("%s %q: %s", f.field, f.value, msg))
		}
	}
	if m.ModelID == "" {
		errs = append(errs, errors.New("model ID: must not be empty"))
	}
	if m.Image == "" {
		errs = append(errs, errors.New("image: must not be empty"))
	}
	if err := m.Engine.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("engine: %w", err))
	}
	if m.Request.PromptTokens < 1 || m.Request.OutputTokens < 1 {
		errs = append(errs, fmt.Errorf("request %+v: want at least 1 prompt and 1 output token", m.Request))
	} else if m.Request.Tokens() > m.Engine.KVCacheTokens {
		errs = append(errs, fmt.Errorf("request: %d tokens do not fit the %d-token KV cache", m.Request.Tokens(), m.Engine.KVCacheTokens))
	}
	if len(m.Variants) == 0 {
		errs = append(errs, errors.New("variants: want at least one"))
	}
	seen := map[string]bool{}
	for i, v := range m.Variants {
		for _, msg := range validation.IsDNS1123Label(m.DeploymentName(v.Name)) {
			errs = append(errs, fmt.Errorf("variant %d %q: Deployment name: %s", i, v.Name, msg))
		}
		if seen[v.Name] {
			errs = append(errs, fmt.Errorf("variant %d %q: duplicate name", i, v.Name))
		}
		seen[v.Name] = true
		if v.Replicas < 0 {
			errs = append(errs, fmt.Errorf("variant %d %q: replicas %d: must not be negative", i, v.Name, v.Replicas))
		}
	}
	return errors.Join(errs...)
}

// DeploymentName is the name of the Deployment of variant.
func (m Model) DeploymentName(variant string) string { return m.Name + "-" + variant }

// URL is the model's Service as the load generator reaches it.
func (m Model) URL() string {
	return fmt.Sprintf("http://%s.%s.svc:%d", m.Name, m.Namespace, EmulatorPort)
}

// RequestDuration is how long one request runs once admitted: its prompt at
// the prefill speed, then its output at the decode speed.
func (m Model) RequestDuration() time.Duration {
	s := float64(m.Request.PromptTokens)/m.Engine.PrefillTokensPerSecond +
		float64(m.Request.OutputTokens)/m.Engine.DecodeTokensPerSecond
	return time.Duration(math.Round(s * float64(time.Second)))
}

// Slots is how many requests one replica runs at once: the batch slots
// (MaxNumSeqs) or the requests the KV cache holds, whichever is fewer.
func (m Model) Slots() int {
	return min(m.Engine.MaxNumSeqs, m.Engine.KVCacheTokens/m.Request.Tokens())
}

// KVUsage is the KV-cache usage (0..1) of a replica running n requests.
func (m Model) KVUsage(n int) float64 {
	return float64(n*m.Request.Tokens()) / float64(m.Engine.KVCacheTokens)
}

// Throughput is the most requests per second one replica completes.
func (m Model) Throughput() float64 {
	return float64(m.Slots()) / m.RequestDuration().Seconds()
}

// Deployment is the Deployment of variant v: the emulator with the model's
// engine, Ready once /health answers.
func (m Model) Deployment(v Variant) *appsv1.Deployment {
	selector := map[string]string{LabelModel: m.Name, LabelVariant: v.Name}
	podLabels := map[string]string{LabelApp: emulatorApp, LabelModel: m.Name, LabelVariant: v.Name, LabelScrape: "true"}
	args := []string{
		"-listen=:" + strconv.Itoa(EmulatorPort),
		"-model=" + m.ModelID,
		"-kv-cache-tokens=" + strconv.Itoa(m.Engine.KVCacheTokens),
		"-max-num-seqs=" + strconv.Itoa(m.Engine.MaxNumSeqs),
		"-prefill-tokens-per-second=" + formatFloat(m.Engine.PrefillTokensPerSecond),
		"-decode-tokens-per-second=" + formatFloat(m.Engine.DecodeTokensPerSecond),
		"-prompt-tokens=" + strconv.Itoa(m.Request.PromptTokens),
		"-default-max-tokens=" + strconv.Itoa(m.Request.OutputTokens),
		// Scale-down happens at zero load here; a short drain keeps the
		// namespace's deletion quick.
		"-shutdown-timeout=5s",
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Namespace: m.Namespace, Name: m.DeploymentName(v.Name), Labels: map[string]string{LabelModel: m.Name, LabelVariant: v.Name}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(v.Replicas),
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken:  ptr.To(false),
					TerminationGracePeriodSeconds: ptr.To[int64](10),
					SecurityContext:               restrictedPod(),
					Containers: []corev1.Container{{
						Name:            "vllm",
						Image:           m.Image,
						ImagePullPolicy: corev1.PullIfNotPresent,
						Args:            args,
						Ports:           []corev1.ContainerPort{{Name: PortHTTP, ContainerPort: EmulatorPort}},
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/health", Port: intstr.FromString(PortHTTP)}},
							PeriodSeconds:    1,
							FailureThreshold: 2,
						},
						Resources:       smallResources(),
						SecurityContext: restrictedContainer(),
					}},
				},
			},
		},
	}
}

// Service selects the emulator pods of every variant of the model.
func (m Model) Service() *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Namespace: m.Namespace, Name: m.Name, Labels: map[string]string{LabelModel: m.Name}},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{LabelApp: emulatorApp, LabelModel: m.Name},
			Ports:    []corev1.ServicePort{{Name: PortHTTP, Port: EmulatorPort, TargetPort: intstr.FromString(PortHTTP)}},
		},
	}
}

// restrictedPod is the pod security context of the restricted Pod Security
// Standard, running as uid/gid 65532 (the images' nonroot user).
func restrictedPod() *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr.To(true),
		RunAsUser:      ptr.To[int64](65532),
		RunAsGroup:     ptr.To[int64](65532),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

func restrictedContainer() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		ReadOnlyRootFilesystem:   ptr.To(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

// smallResources requests little, so that a few replicas schedule on a
// two-core node next to the control plane; the programs use less.
func smallResources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("10m"),
			corev1.ResourceMemory: resource.MustParse("16Mi"),
		},
		Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
	}
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
