package app

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/wva-project/wva/modules/controller/internal/options"
)

func TestCacheOptionsScopeConfigMaps(t *testing.T) {
	key := types.NamespacedName{Namespace: "wva-system", Name: "capacity-scaling-config"}
	opts := cacheOptions(key, nil)
	for obj, by := range opts.ByObject {
		if _, ok := obj.(*corev1.ConfigMap); !ok {
			continue
		}
		if diff := cmp.Diff([]string{"wva-system"}, keys(by.Namespaces)); diff != "" {
			t.Errorf("ConfigMap namespaces: -want +got:\n%s", diff)
		}
		if got := by.Field.String(); got != "metadata.name=capacity-scaling-config" {
			t.Errorf("ConfigMap field selector = %q", got)
		}
		return
	}
	t.Fatal("no ByObject entry for ConfigMaps")
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestMetricsOptions(t *testing.T) {
	o := options.Defaults(func(string) string { return "" })
	secure := metricsOptions(o)
	if !secure.SecureServing || secure.FilterProvider == nil || secure.BindAddress != ":8443" {
		t.Errorf("default metrics options = %+v, want secure serving with authn/authz on :8443", secure)
	}
	o.MetricsSecure = false
	if plain := metricsOptions(o); plain.SecureServing || plain.FilterProvider != nil {
		t.Errorf("--metrics-secure=false options = %+v, want plain HTTP without a filter", plain)
	}
}
