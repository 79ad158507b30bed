//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/wva-project/wva/e2e/manifests"
	"github.com/wva-project/wva/e2e/workload"
)

// The in-cluster metrics pipeline of features 10-13: a Prometheus server
// that discovers the running pods of its own namespace and scrapes those
// labelled e2e.wva-project.io/scrape=true on their port named metrics or
// http (the vLLM stub, the vLLM emulator, the load generator), and the stub
// Deployment standing in for vLLM.
const (
	promName     = "prometheus"
	promPort     = 9090
	stubName     = "vllm-stub"
	stubPort     = 8000
	stubPortName = "metrics"
	stubAppLabel = "app"
	// promScrapeInterval is how often the feature's Prometheus scrapes,
	// the controller's --metrics-scrape-interval.
	promScrapeInterval = 2 * time.Second
)

// promScrapeTime is promScrapeInterval as a flag value.
var promScrapeTime = promScrapeInterval.String()

// restrictedPod is the pod security context of the restricted Pod Security
// Standard, running as uid/gid 65532 (the images' nonroot user).
func restrictedPod() *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsNonRoot:   ptr.To(true),
		RunAsUser:      ptr.To[int64](65532),
		RunAsGroup:     ptr.To[int64](65532),
		FSGroup:        ptr.To[int64](65532),
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

// promTargets are what a feature's Prometheus scrapes.
type promTargets int

const (
	// scrapeWorkloads: the labelled pods of its own namespace.
	scrapeWorkloads promTargets = iota
	// scrapeWorkloadsAndController: those and the controller's https
	// /metrics (wva_desired_replicas, for KEDA), which needs the RBAC of
	// fixture.allowControllerScrape.
	scrapeWorkloadsAndController
)

// saTokenFile is where the kubelet mounts a pod's ServiceAccount token.
const saTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"

// prometheusConfig is prometheus.yml: pod discovery limited to namespace,
// keeping the running pods labelled for scraping on their metrics or http
// port, with the namespace and pod labels the controller's query selects
// on; with scrapeWorkloadsAndController also the controller's pods, as
// deploy/demo/prometheus.yml scrapes them. JSON is YAML.
func prometheusConfig(namespace string, targets promTargets) (string, error) {
	running := map[string]any{"source_labels": []string{"__meta_kubernetes_pod_phase"}, "regex": "Running", "action": "keep"}
	podLabel := map[string]any{"source_labels": []string{"__meta_kubernetes_pod_name"}, "target_label": "pod"}
	jobs := []map[string]any{{
		"job_name": "vllm",
		"kubernetes_sd_configs": []map[string]any{{
			"role":       "pod",
			"namespaces": map[string]any{"names": []string{namespace}},
		}},
		"relabel_configs": []map[string]any{
			{"source_labels": []string{"__meta_kubernetes_pod_label_" + promLabelName(workload.LabelScrape)}, "regex": "true", "action": "keep"},
			// A finished pod (the load generator's) is no target.
			running,
			{"source_labels": []string{"__meta_kubernetes_pod_container_port_name"}, "regex": workload.PortMetrics + "|" + workload.PortHTTP, "action": "keep"},
			{"source_labels": []string{"__meta_kubernetes_namespace"}, "target_label": "namespace"},
			podLabel,
		},
	}}
	if targets == scrapeWorkloadsAndController {
		// The controller serves /metrics over https with a self-signed
		// certificate, to callers allowed GET /metrics (wva-metrics-reader).
		// honor_labels keeps the gauge's own namespace label (the
		// VariantAutoscaling's), which the trigger's query selects on.
		jobs = append(jobs, map[string]any{
			"job_name":      "wva-controller",
			"scheme":        "https",
			"honor_labels":  true,
			"authorization": map[string]any{"type": "Bearer", "credentials_file": saTokenFile},
			"tls_config":    map[string]any{"insecure_skip_verify": true},
			"kubernetes_sd_configs": []map[string]any{{
				"role":       "pod",
				"namespaces": map[string]any{"names": []string{manifests.Namespace}},
			}},
			"relabel_configs": []map[string]any{
				{"source_labels": []string{"__meta_kubernetes_pod_label_app_kubernetes_io_name", "__meta_kubernetes_pod_label_app_kubernetes_io_component"},
					"regex": "wva;controller", "action": "keep"},
				{"source_labels": []string{"__meta_kubernetes_pod_container_port_name"}, "regex": "https", "action": "keep"},
				running,
				podLabel,
			},
		})
	}
	cfg := map[string]any{
		"global":         map[string]string{"scrape_interval": promScrapeTime, "scrape_timeout": promScrapeTime, "evaluation_interval": promScrapeTime},
		"scrape_configs": jobs,
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("encoding prometheus.yml: %w", err)
	}
	return string(b), nil
}

// promLabelName is the name Prometheus's Kubernetes discovery gives a label
// in __meta_kubernetes_pod_label_<name>: every character that is not a
// letter, digit or underscore becomes an underscore.
func promLabelName(label string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, label)
}

// deployPrometheus creates Prometheus in namespace: a ServiceAccount allowed
// to list and watch the namespace's pods, its configuration (scraping
// targets), a Deployment running image and a Service on port 9090.
func deployPrometheus(ctx context.Context, namespace, image string, targets promTargets) error {
	labels := map[string]string{stubAppLabel: promName}
	config, err := prometheusConfig(namespace, targets)
	if err != nil {
		return err
	}
	meta := metav1.ObjectMeta{Namespace: namespace, Name: promName, Labels: labels}
	create := metav1.CreateOptions{FieldManager: fieldManager}
	kube := suite.kube
	if _, err := kube.CoreV1().ServiceAccounts(namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: meta}, create); err != nil {
		return fmt.Errorf("creating ServiceAccount %s/%s: %w", namespace, promName, err)
	}
	role := &rbacv1.Role{ObjectMeta: meta, Rules: []rbacv1.PolicyRule{{
		APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch"},
	}}}
	if _, err := kube.RbacV1().Roles(namespace).Create(ctx, role, create); err != nil {
		return fmt.Errorf("creating Role %s/%s: %w", namespace, promName, err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: meta,
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: promName},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: promName}},
	}
	if _, err := kube.RbacV1().RoleBindings(namespace).Create(ctx, binding, create); err != nil {
		return fmt.Errorf("creating RoleBinding %s/%s: %w", namespace, promName, err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: meta, Data: map[string]string{"prometheus.yml": config}}
	if _, err := kube.CoreV1().ConfigMaps(namespace).Create(ctx, cm, create); err != nil {
		return fmt.Errorf("creating ConfigMap %s/%s: %w", namespace, promName, err)
	}
	if _, err := kube.AppsV1().Deployments(namespace).Create(ctx, prometheusDeployment(meta, image), create); err != nil {
		return fmt.Errorf("creating Deployment %s/%s: %w", namespace, promName, err)
	}
	svc := &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{
		Selector: labels,
		Ports:    []corev1.ServicePort{{Name: "web", Port: promPort, TargetPort: intstr.FromString("web")}},
	}}
	if _, err := kube.CoreV1().Services(namespace).Create(ctx, svc, create); err != nil {
		return fmt.Errorf("creating Service %s/%s: %w", namespace, promName, err)
	}
	return nil
}

// allowControllerScrape lets the Prometheus of namespace scrape the
// controller (scrapeWorkloadsAndController): discover the pods of the
// controller's namespace, and GET its /metrics through the base's
// wva-metrics-reader ClusterRole. The objects live outside the feature's
// namespace, so the teardown deletes them.
func (f *fixture) allowControllerScrape(ctx context.Context, namespace string) error {
	name := "e2e-prometheus-" + namespace
	meta := metav1.ObjectMeta{Namespace: manifests.Namespace, Name: name, Labels: map[string]string{featureLabel: f.name}}
	subjects := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: promName}}
	create := metav1.CreateOptions{FieldManager: fieldManager}
	rbac := suite.kube.RbacV1()
	f.onTeardown("deleting the RBAC that lets Prometheus scrape the controller", func(ctx context.Context) error {
		var errs []error
		for _, del := range []struct {
			what string
			fn   func() error
		}{
			{"ClusterRoleBinding " + name, func() error { return rbac.ClusterRoleBindings().Delete(ctx, name, metav1.DeleteOptions{}) }},
			{"RoleBinding " + name, func() error { return rbac.RoleBindings(manifests.Namespace).Delete(ctx, name, metav1.DeleteOptions{}) }},
			{"Role " + name, func() error { return rbac.Roles(manifests.Namespace).Delete(ctx, name, metav1.DeleteOptions{}) }},
		} {
			if err := del.fn(); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("deleting %s: %w", del.what, err))
			}
		}
		return errors.Join(errs...)
	})
	role := &rbacv1.Role{ObjectMeta: meta, Rules: []rbacv1.PolicyRule{{
		APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch"},
	}}}
	if _, err := rbac.Roles(manifests.Namespace).Create(ctx, role, create); err != nil {
		return fmt.Errorf("creating Role %s/%s: %w", manifests.Namespace, name, err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: meta,
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects:   subjects,
	}
	if _, err := rbac.RoleBindings(manifests.Namespace).Create(ctx, binding, create); err != nil {
		return fmt.Errorf("creating RoleBinding %s/%s: %w", manifests.Namespace, name, err)
	}
	reader := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: meta.Labels},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: metricsReaderRole},
		Subjects:   subjects,
	}
	if _, err := rbac.ClusterRoleBindings().Create(ctx, reader, create); err != nil {
		return fmt.Errorf("creating ClusterRoleBinding %s: %w", name, err)
	}
	return nil
}

// metricsReaderRole is the base's ClusterRole allowing GET /metrics on
// the controller (deploy/kustomize/base/rbac/metrics_reader_role.yaml).
const metricsReaderRole = "wva-metrics-reader"

func prometheusDeployment(meta metav1.ObjectMeta, image string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: meta.Labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: meta.Labels},
				Spec: corev1.PodSpec{
					ServiceAccountName:            promName,
					TerminationGracePeriodSeconds: ptr.To[int64](0),
					SecurityContext:               restrictedPod(),
					Containers: []corev1.Container{{
						Name:            promName,
						Image:           image,
						ImagePullPolicy: corev1.PullIfNotPresent,
						Args: []string{
							"--config.file=/etc/prometheus/prometheus.yml",
							"--storage.tsdb.path=/prometheus",
							"--storage.tsdb.retention.time=1h",
							"--web.listen-address=:" + strconv.Itoa(promPort),
						},
						Ports: []corev1.ContainerPort{{Name: "web", ContainerPort: promPort}},
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/-/ready", Port: intstr.FromString("web")}},
							PeriodSeconds: 1,
						},
						SecurityContext: restrictedContainer(),
						VolumeMounts: []corev1.VolumeMount{
							{Name: "config", MountPath: "/etc/prometheus", ReadOnly: true},
							{Name: "data", MountPath: "/prometheus"},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: meta.Name},
						}}},
						{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
					},
				},
			},
		},
	}
}

// stubDeployment runs replicas of the vLLM stub reporting kv and queue for
// model.
func stubDeployment(namespace, image, model string, kv float64, queue int, replicas int32) *appsv1.Deployment {
	labels := map[string]string{stubAppLabel: stubName}
	podLabels := map[string]string{stubAppLabel: stubName, workload.LabelScrape: "true"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: stubName, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken:  ptr.To(false),
					TerminationGracePeriodSeconds: ptr.To[int64](0),
					SecurityContext:               restrictedPod(),
					Containers: []corev1.Container{{
						Name:            "vllm",
						Image:           image,
						ImagePullPolicy: corev1.PullIfNotPresent,
						Args: []string{
							"-listen=:" + strconv.Itoa(stubPort),
							"-model=" + model,
							"-kv-cache-usage=" + strconv.FormatFloat(kv, 'g', -1, 64),
							"-num-requests-waiting=" + strconv.Itoa(queue),
						},
						Ports: []corev1.ContainerPort{{Name: stubPortName, ContainerPort: stubPort}},
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString(stubPortName)}},
							PeriodSeconds: 1,
						},
						SecurityContext: restrictedContainer(),
					}},
				},
			},
		},
	}
}
