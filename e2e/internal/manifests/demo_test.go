package manifests

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/wva-project/wva/e2e/internal/loadgen"
	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// The images of the demo: the tags `make e2e-images` writes (hack/variables.mk).
var demoImages = []string{
	"localhost/wva-e2e/prometheus:dev",
	"localhost/wva-e2e/vllm-emulator:dev",
	"localhost/wva-e2e/loadgen:dev",
}

// demo is the rendered deploy/demo, decoded.
type demo struct {
	objs        []*unstructured.Unstructured
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	vas         []v1alpha1.VariantAutoscaling
}

func renderDemo(t *testing.T) demo {
	t.Helper()
	objs, err := Render(OSPath(repoRoot(t), DemoDir))
	if err != nil {
		t.Fatal(err)
	}
	d := demo{objs: objs, deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{}}
	for _, o := range objs {
		switch o.GetKind() {
		case "Deployment":
			var dep appsv1.Deployment
			if err := Convert(o, &dep); err != nil {
				t.Fatal(err)
			}
			d.deployments[dep.Name] = &dep
		case "Service":
			var svc corev1.Service
			if err := Convert(o, &svc); err != nil {
				t.Fatal(err)
			}
			d.services[svc.Name] = &svc
		case "VariantAutoscaling":
			var va v1alpha1.VariantAutoscaling
			if err := Convert(o, &va); err != nil {
				t.Fatal(err)
			}
			d.vas = append(d.vas, va)
		}
	}
	return d
}

// TestDemoNamespaces: everything is in wva-demo except Prometheus's
// discovery Role (and its binding) in the controller's namespace and its
// binding of wva-metrics-reader.
func TestDemoNamespaces(t *testing.T) {
	elsewhere := map[string]string{
		"Namespace " + DemoNamespace:                            "",
		"ClusterRoleBinding wva-demo-prometheus-metrics-reader": "",
		"Role wva-demo-prometheus-discovery":                    Namespace,
		"RoleBinding wva-demo-prometheus-discovery":             Namespace,
	}
	for _, o := range renderDemo(t).objs {
		id := o.GetKind() + " " + o.GetName()
		want, ok := elsewhere[id]
		if !ok {
			want = DemoNamespace
		}
		if o.GetNamespace() != want {
			t.Errorf("%s: namespace %q, want %q", id, o.GetNamespace(), want)
		}
		if got := o.GetLabels()["app.kubernetes.io/part-of"]; got != "wva-demo" {
			t.Errorf("%s: label app.kubernetes.io/part-of = %q, want wva-demo", id, got)
		}
	}
}

func TestDemoPods(t *testing.T) {
	d := renderDemo(t)
	if len(d.deployments) != 4 {
		t.Errorf("Deployments %v, want prometheus, granite-l4, granite-a100 and loadgen", slices.Sorted(maps.Keys(d.deployments)))
	}
	wantPod := &corev1.PodSecurityContext{
		RunAsNonRoot: ptr(true), RunAsUser: ptr(int64(65532)), RunAsGroup: ptr(int64(65532)),
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	wantContainer := &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr(false), ReadOnlyRootFilesystem: ptr(true),
		Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
	for name, dep := range d.deployments {
		t.Run(name, func(t *testing.T) {
			pod := dep.Spec.Template.Spec
			sc := pod.SecurityContext
			if sc != nil {
				sc = sc.DeepCopy()
				sc.FSGroup = nil // Prometheus's emptyDir needs one; it does not weaken the profile.
			}
			if diff := cmp.Diff(wantPod, sc); diff != "" {
				t.Errorf("pod securityContext: -want +got:\n%s", diff)
			}
			if len(pod.Containers) != 1 {
				t.Fatalf("%d containers, want 1", len(pod.Containers))
			}
			c := pod.Containers[0]
			if diff := cmp.Diff(wantContainer, c.SecurityContext); diff != "" {
				t.Errorf("container securityContext: -want +got:\n%s", diff)
			}
			if !slices.Contains(demoImages, c.Image) || c.ImagePullPolicy != corev1.PullIfNotPresent {
				t.Errorf("image %q (pull %s), want one of %v with IfNotPresent (loaded, never pulled)", c.Image, c.ImagePullPolicy, demoImages)
			}
			if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || containerPort(c, c.ReadinessProbe.HTTPGet.Port) == 0 {
				t.Errorf("readiness probe %+v, want an HTTP GET of a declared port", c.ReadinessProbe)
			}
			cpu := c.Resources.Requests[corev1.ResourceCPU]
			if cpu.IsZero() || cpu.Cmp(resource.MustParse("100m")) > 0 {
				t.Errorf("CPU request %s, want a small one (0 < request <= 100m: the demo runs on 2 cores)", cpu.String())
			}
			if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
				t.Errorf("no memory limit")
			}
			if pod.ServiceAccountName == "" && (pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken) {
				t.Errorf("a pod without an API client must not mount a ServiceAccount token")
			}
		})
	}
}

// TestDemoVariants checks the model: each VariantAutoscaling scales a
// Deployment of the emulator serving its modelID, within its bounds, whose
// pods Prometheus scrapes and the one Service selects.
func TestDemoVariants(t *testing.T) {
	d := renderDemo(t)
	if len(d.vas) != 2 {
		t.Fatalf("%d VariantAutoscalings, want 2 (two variants of one model)", len(d.vas))
	}
	svc := d.services["granite"]
	if svc == nil {
		t.Fatalf("no Service granite in %v", names(d.objs))
	}
	for _, va := range d.vas {
		t.Run(va.Name, func(t *testing.T) {
			if va.Spec.ModelID != d.vas[0].Spec.ModelID {
				t.Errorf("modelID %q, want %q: the variants are of one model", va.Spec.ModelID, d.vas[0].Spec.ModelID)
			}
			ref := va.Spec.ScaleTargetRef
			dep := d.deployments[ref.Name]
			if ref.APIVersion != "apps/v1" || ref.Kind != "Deployment" || dep == nil {
				t.Fatalf("scaleTargetRef %+v is not a Deployment of the demo", ref)
			}
			if va.Spec.MinReplicas == nil || va.Spec.MaxReplicas == nil || va.Spec.VariantCost == "" {
				t.Fatalf("minReplicas %v, maxReplicas %v, variantCost %q: want all set", va.Spec.MinReplicas, va.Spec.MaxReplicas, va.Spec.VariantCost)
			}
			if r := *dep.Spec.Replicas; r < *va.Spec.MinReplicas || r > *va.Spec.MaxReplicas {
				t.Errorf("Deployment starts at %d replicas, outside [%d, %d]", r, *va.Spec.MinReplicas, *va.Spec.MaxReplicas)
			}
			c := dep.Spec.Template.Spec.Containers[0]
			if want := "-model=" + va.Spec.ModelID; !slices.Contains(c.Args, want) {
				t.Errorf("emulator args %v lack %q: the served model name is the VA's modelID", c.Args, want)
			}
			podLabels := labels.Set(dep.Spec.Template.Labels)
			if !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
				t.Errorf("Service %s (selector %v) does not select the pods (labels %v)", svc.Name, svc.Spec.Selector, podLabels)
			}
			if containerPort(c, svc.Spec.Ports[0].TargetPort) == 0 {
				t.Errorf("Service target port %s is not a port of the pods", svc.Spec.Ports[0].TargetPort.String())
			}
			checkScraped(t, dep)
		})
	}
	if c := d.vas[0].Spec.VariantCost; c == d.vas[1].Spec.VariantCost {
		t.Errorf("both variants cost %s: the demo shows the cheaper one scaling first", c)
	}
}

// checkScraped: the pods carry the annotations of the wva-demo-pods job,
// naming a declared port.
func checkScraped(t *testing.T, dep *appsv1.Deployment) {
	t.Helper()
	a := dep.Spec.Template.Annotations
	if a["prometheus.io/scrape"] != "true" || a["prometheus.io/path"] != "/metrics" {
		t.Errorf("%s pods: annotations %v, want prometheus.io/scrape \"true\" and prometheus.io/path /metrics", dep.Name, a)
	}
	c := dep.Spec.Template.Spec.Containers[0]
	if !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool { return a["prometheus.io/port"] == itoa(p.ContainerPort) }) {
		t.Errorf("%s pods: prometheus.io/port %q is not a container port (%v)", dep.Name, a["prometheus.io/port"], c.Ports)
	}
}

func TestDemoLoad(t *testing.T) {
	d := renderDemo(t)
	dep := d.deployments["loadgen"]
	if dep == nil {
		t.Fatalf("no Deployment loadgen")
	}
	checkScraped(t, dep)
	args := flagValues(dep.Spec.Template.Spec.Containers[0].Args)
	svc := d.services["granite"]
	if want := "http://" + svc.Name + ":" + itoa(svc.Spec.Ports[0].Port); args["target"] != want {
		t.Errorf("-target %q, want the model's Service %q", args["target"], want)
	}
	if args["model"] != d.vas[0].Spec.ModelID {
		t.Errorf("-model %q, want the VariantAutoscalings' modelID %q", args["model"], d.vas[0].Spec.ModelID)
	}
	if args["repeat"] != "0" {
		t.Errorf("-repeat %q, want 0 (the cycle plays until the demo is deleted)", args["repeat"])
	}
	profile, err := loadgen.ParseProfile(args["profile"])
	if err != nil {
		t.Fatalf("-profile: %v", err)
	}
	var peak float64
	for _, s := range profile {
		peak = max(peak, s.From, s.To)
	}
	// The network rule of shared machines: the load is bounded in rate.
	if peak <= 0 || peak > 10 {
		t.Errorf("profile %s peaks at %g requests/s, want (0, 10]", profile, peak)
	}
	if last := profile[len(profile)-1]; last.To != 0 || last.Duration < 3*time.Minute {
		t.Errorf("profile %s ends with %s, want an idle hold of at least 3m (time to scale back down)", profile, last)
	}
}

// TestDemoPrometheus checks the wiring between the controller's demo
// overlay, Prometheus's configuration and its permissions.
func TestDemoPrometheus(t *testing.T) {
	d := renderDemo(t)
	controller, err := Render(OSPath(repoRoot(t), DemoOverlayDir))
	if err != nil {
		t.Fatal(err)
	}
	args := flagValues(deployment(t, controller).Spec.Template.Spec.Containers[0].Args)

	u, err := url.Parse(args["prometheus-url"])
	if err != nil {
		t.Fatalf("--prometheus-url: %v", err)
	}
	svc := d.services["prometheus"]
	if want := "prometheus." + DemoNamespace + ".svc:" + itoa(svc.Spec.Ports[0].Port); u.Scheme != "http" || u.Host != want {
		t.Errorf("--prometheus-url %s, want http://%s (the demo's Prometheus Service)", u, want)
	}

	var cfg promConfig
	for _, o := range d.objs {
		if o.GetKind() == "ConfigMap" && strings.HasPrefix(o.GetName(), "prometheus-config-") {
			var cm corev1.ConfigMap
			if err := Convert(o, &cm); err != nil {
				t.Fatal(err)
			}
			if err := yaml.UnmarshalStrict([]byte(cm.Data["prometheus.yml"]), &cfg); err != nil {
				t.Fatalf("prometheus.yml: %v", err)
			}
			mounted := slices.ContainsFunc(d.deployments["prometheus"].Spec.Template.Spec.Volumes, func(v corev1.Volume) bool {
				return v.ConfigMap != nil && v.ConfigMap.Name == cm.Name
			})
			if !mounted {
				t.Errorf("Prometheus does not mount ConfigMap %s", cm.Name)
			}
		}
	}
	if cfg.Global.ScrapeInterval != args["metrics-scrape-interval"] {
		t.Errorf("scrape_interval %q, want the controller's --metrics-scrape-interval %q", cfg.Global.ScrapeInterval, args["metrics-scrape-interval"])
	}
	jobs := map[string]promJob{}
	for _, j := range cfg.ScrapeConfigs {
		jobs[j.JobName] = j
	}
	ctl := jobs["wva-controller"]
	wantCtl := promJob{
		JobName: "wva-controller", Scheme: "https", HonorLabels: true,
		Authorization: map[string]string{"type": "Bearer", "credentials_file": "/var/run/secrets/kubernetes.io/serviceaccount/token"},
		TLSConfig:     map[string]bool{"insecure_skip_verify": true},
	}
	if diff := cmp.Diff(wantCtl, promJob{
		JobName: ctl.JobName, Scheme: ctl.Scheme, HonorLabels: ctl.HonorLabels, Authorization: ctl.Authorization, TLSConfig: ctl.TLSConfig,
	}); diff != "" {
		t.Errorf("job wva-controller (https with the ServiceAccount token, the variant's labels kept): -want +got:\n%s", diff)
	}

	// Prometheus may discover pods in each namespace it scrapes and read the
	// controller's /metrics.
	roles := roles(t, d.objs)
	sa := rbacv1.Subject{Kind: "ServiceAccount", Name: "prometheus", Namespace: DemoNamespace}
	bound := map[string]bool{}
	for _, o := range d.objs {
		switch o.GetKind() {
		case "RoleBinding":
			var rb rbacv1.RoleBinding
			if err := Convert(o, &rb); err != nil {
				t.Fatal(err)
			}
			if slices.Contains(rb.Subjects, sa) && allows(roles["Role "+rb.Namespace+"/"+rb.RoleRef.Name], "", "pods", "", "watch") {
				bound[rb.Namespace] = true
			}
		case "ClusterRoleBinding":
			var crb rbacv1.ClusterRoleBinding
			if err := Convert(o, &crb); err != nil {
				t.Fatal(err)
			}
			bound["ClusterRole "+crb.RoleRef.Name] = slices.Contains(crb.Subjects, sa)
		}
	}
	for _, j := range cfg.ScrapeConfigs {
		for _, sd := range j.KubernetesSDConfigs {
			for _, ns := range sd.Namespaces.Names {
				if !bound[ns] {
					t.Errorf("job %s discovers pods in %s, where ServiceAccount prometheus may not watch them", j.JobName, ns)
				}
			}
		}
	}
	if !bound["ClusterRole wva-metrics-reader"] {
		t.Errorf("ServiceAccount prometheus is not bound to ClusterRole wva-metrics-reader")
	}
	if d.deployments["prometheus"].Spec.Template.Spec.ServiceAccountName != sa.Name {
		t.Errorf("Prometheus does not run as ServiceAccount %s", sa.Name)
	}
}

// promConfig is the part of prometheus.yml the demo's wiring depends on.
type promConfig struct {
	Global struct {
		ScrapeInterval     string `json:"scrape_interval"`
		ScrapeTimeout      string `json:"scrape_timeout"`
		EvaluationInterval string `json:"evaluation_interval"`
	} `json:"global"`
	ScrapeConfigs []promJob `json:"scrape_configs"`
}

type promJob struct {
	JobName             string            `json:"job_name"`
	Scheme              string            `json:"scheme,omitempty"`
	HonorLabels         bool              `json:"honor_labels,omitempty"`
	Authorization       map[string]string `json:"authorization,omitempty"`
	TLSConfig           map[string]bool   `json:"tls_config,omitempty"`
	KubernetesSDConfigs []struct {
		Role       string `json:"role"`
		Namespaces struct {
			Names []string `json:"names"`
		} `json:"namespaces"`
	} `json:"kubernetes_sd_configs,omitempty"`
	RelabelConfigs []map[string]any `json:"relabel_configs,omitempty"`
}

// flagValues maps "-name=value" and "--name=value" arguments to name => value.
func flagValues(args []string) map[string]string {
	out := map[string]string{}
	for _, a := range args {
		name, value, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		out[name] = value
	}
	return out
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }
