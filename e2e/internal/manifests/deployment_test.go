package manifests

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestControllerDeployment(t *testing.T) {
	baseArgs := []string{"--health-probe-bind-address=:8081", "--metrics-bind-address=:8443", "--config-admission=warn", "--webhook-port=9443"}
	cases := map[string]struct {
		dir            string
		wantImage      string
		wantPullPolicy corev1.PullPolicy
		wantArgs       []string
		wantReplicas   int32
	}{
		"base": {
			dir:            BaseDir,
			wantImage:      ImageRepository + ":latest",
			wantPullPolicy: corev1.PullAlways,
			wantArgs:       baseArgs,
			wantReplicas:   1,
		},
		"kind": {
			dir:            KindOverlayDir,
			wantImage:      ImageRepository + ":dev",
			wantPullPolicy: corev1.PullIfNotPresent,
			wantArgs:       append(append([]string{}, baseArgs...), "--zap-log-level=debug", "--leader-elect=false"),
			wantReplicas:   1,
		},
		"demo": {
			dir:            DemoOverlayDir,
			wantImage:      ImageRepository + ":dev",
			wantPullPolicy: corev1.PullIfNotPresent,
			wantArgs: append(append([]string{}, baseArgs...), "--zap-log-level=debug", "--leader-elect=false",
				"--prometheus-url=http://prometheus.wva-demo.svc:9090", "--reconcile-interval=10s",
				"--scale-down-stabilization=60s", "--metrics-scrape-interval=5s"),
			wantReplicas: 1,
		},
		"production": {
			dir:            ProductionOverlayDir,
			wantImage:      ImageRepository + ":v0.1.0",
			wantPullPolicy: corev1.PullIfNotPresent,
			wantArgs:       append(append([]string{}, baseArgs...), "--leader-elect=true"),
			wantReplicas:   2,
		},
	}
	root := repoRoot(t)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			objs, err := Render(OSPath(root, tc.dir))
			if err != nil {
				t.Fatal(err)
			}
			d := deployment(t, objs)
			pod := d.Spec.Template.Spec

			if d.Spec.Replicas == nil || *d.Spec.Replicas != tc.wantReplicas {
				t.Errorf("replicas = %v, want %d", d.Spec.Replicas, tc.wantReplicas)
			}
			if pod.ServiceAccountName != ServiceAccountName {
				t.Errorf("serviceAccountName = %q, want %q", pod.ServiceAccountName, ServiceAccountName)
			}
			if Find(objs, "ServiceAccount", Namespace, ServiceAccountName) == nil {
				t.Errorf("no ServiceAccount %s/%s", Namespace, ServiceAccountName)
			}
			wantPodSecurity := &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr(true),
				RunAsUser:      ptr(int64(65532)),
				RunAsGroup:     ptr(int64(65532)),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			}
			if diff := cmp.Diff(wantPodSecurity, pod.SecurityContext); diff != "" {
				t.Errorf("pod securityContext: -want +got:\n%s", diff)
			}
			if len(pod.Containers) != 1 || len(pod.InitContainers) != 0 {
				t.Fatalf("pod has %d containers and %d init containers, want 1 and 0", len(pod.Containers), len(pod.InitContainers))
			}
			c := pod.Containers[0]
			if c.Name != ContainerName {
				t.Errorf("container name = %q, want %q", c.Name, ContainerName)
			}
			if c.Image != tc.wantImage || c.ImagePullPolicy != tc.wantPullPolicy {
				t.Errorf("image = %q (pull %s), want %q (pull %s)", c.Image, c.ImagePullPolicy, tc.wantImage, tc.wantPullPolicy)
			}
			if diff := cmp.Diff([]string{"/wva-controller"}, c.Command); diff != "" {
				t.Errorf("command: -want +got:\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantArgs, c.Args); diff != "" {
				t.Errorf("args: -want +got:\n%s", diff)
			}
			wantEnv := []corev1.EnvVar{{
				Name:      "POD_NAMESPACE",
				ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}},
			}}
			if diff := cmp.Diff(wantEnv, c.Env); diff != "" {
				t.Errorf("env: -want +got:\n%s", diff)
			}
			wantContainerSecurity := &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr(false),
				ReadOnlyRootFilesystem:   ptr(true),
				RunAsNonRoot:             ptr(true),
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			}
			if diff := cmp.Diff(wantContainerSecurity, c.SecurityContext); diff != "" {
				t.Errorf("container securityContext: -want +got:\n%s", diff)
			}

			for _, p := range []struct {
				kind, path string
				probe      *corev1.Probe
			}{{"liveness", "/healthz", c.LivenessProbe}, {"readiness", "/readyz", c.ReadinessProbe}} {
				if p.probe == nil || p.probe.HTTPGet == nil {
					t.Errorf("%s probe = %+v, want an HTTP GET of %s", p.kind, p.probe, p.path)
					continue
				}
				if got := p.probe.HTTPGet.Path; got != p.path {
					t.Errorf("%s probe path = %q, want %q", p.kind, got, p.path)
				}
				if got := containerPort(c, p.probe.HTTPGet.Port); got != 8081 {
					t.Errorf("%s probe port %s resolves to %d, want 8081", p.kind, p.probe.HTTPGet.Port.String(), got)
				}
			}

			wantResources := corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
			}
			if !equalResources(wantResources, c.Resources) {
				t.Errorf("resources = %+v, want %+v", c.Resources, wantResources)
			}

			metrics := Find(objs, "Service", Namespace, "wva-controller-metrics")
			if metrics == nil {
				t.Fatalf("no metrics Service in %v", names(objs))
			}
			var svc corev1.Service
			if err := Convert(metrics, &svc); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(d.Spec.Selector.MatchLabels, svc.Spec.Selector); diff != "" {
				t.Errorf("metrics Service selector differs from the Deployment's: -want +got:\n%s", diff)
			}
			if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 8443 || containerPort(c, svc.Spec.Ports[0].TargetPort) != 8443 {
				t.Errorf("metrics Service ports = %+v, want 8443 to the container's 8443", svc.Spec.Ports)
			}
		})
	}
}

// containerPort resolves a probe's or Service's port (number or name) against
// the container's ports; 0 if a name is not declared.
func containerPort(c corev1.Container, port intstr.IntOrString) int32 {
	if port.Type == intstr.Int {
		return port.IntVal
	}
	for _, p := range c.Ports {
		if p.Name == port.StrVal {
			return p.ContainerPort
		}
	}
	return 0
}

// equalResources compares quantities by value ("64Mi" equals "67108864").
func equalResources(want, got corev1.ResourceRequirements) bool {
	equal := func(a, b corev1.ResourceList) bool {
		if len(a) != len(b) {
			return false
		}
		for name, qa := range a {
			qb, ok := b[name]
			if !ok || qa.Cmp(qb) != 0 {
				return false
			}
		}
		return true
	}
	return equal(want.Requests, got.Requests) && equal(want.Limits, got.Limits) && len(got.Claims) == 0
}
