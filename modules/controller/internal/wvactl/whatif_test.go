package wvactl

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/wva-project/wva/modules/api/v1alpha1"
)

var analysedAt = metav1.NewTime(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))

// analysed returns a VariantAutoscaling of model in namespace with current
// replicas and, when a is not nil, that status.lastAnalysis.
func analysed(namespace, name, model, cost string, current int32, applied *v1alpha1.AppliedCapacityConfig, a *v1alpha1.CapacityAnalysis) *v1alpha1.VariantAutoscaling {
	va := variant(name, namespace, applied)
	va.Spec.ModelID, va.Spec.VariantCost = model, cost
	va.Status.CurrentReplicas, va.Status.DesiredReplicas = ptr.To(current), ptr.To(current)
	if a != nil {
		va.Status.LastAnalysis = *a
	}
	return va
}

func lastAnalysis(replicas, saturated int32, spareKv, spareQueue string) *v1alpha1.CapacityAnalysis {
	return &v1alpha1.CapacityAnalysis{Replicas: replicas, SaturatedReplicas: saturated, AvgSpareKvCapacity: spareKv,
		AvgSpareQueueCapacity: spareQueue, Decision: "NoChange", Reason: "recorded", Time: analysedAt}
}

// whatIfObjects are the live ConfigMap and the VariantAutoscalings of the
// what-if tests:
//   - production/granite-l4 and granite-a100 serve ibm/granite-13b (override
//     granite-prod: kvCacheThreshold 0.70), 3 replicas at KV cache usage 0.55
//     on average: enough spare capacity now, too little at the candidate's
//     0.60, so the cheaper granite-l4 scales up;
//   - production/llama serves meta/llama-70b (default entry) with room to
//     scale down, whichever the configuration;
//   - production/mistral has never been analysed;
//   - staging/granite serves ibm/granite-13b in staging (no override).
func whatIfObjects() []client.Object {
	granite := lastAnalysis(3, 0, "0.15", "4.00")
	defaults := &v1alpha1.AppliedCapacityConfig{KvCacheThreshold: "0.80", QueueLengthThreshold: 5, KvSpareTrigger: "0.10",
		QueueSpareTrigger: 3, Source: "default", ConfigMapResourceVersion: liveVersion}
	return []client.Object{
		liveConfigMap(configNamespace),
		analysed("production", "granite-l4", "ibm/granite-13b", "10", 2, upToDate, granite),
		analysed("production", "granite-a100", "ibm/granite-13b", "40", 1, upToDate, granite),
		analysed("production", "llama", "meta/llama-70b", "", 2, defaults, lastAnalysis(2, 0, "0.50", "4.00")),
		analysed("production", "mistral", "mistral/mistral-7b", "", 1, nil, nil),
		analysed("staging", "granite", "ibm/granite-13b", "", 1, defaults, lastAnalysis(1, 1, "", "")),
	}
}

func TestWhatIfStatus(t *testing.T) {
	forbidden := interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
		return apierrors.NewForbidden(v1alpha1.GroupVersion.WithResource("variantautoscalings").GroupResource(), "", errors.New("RBAC: access denied"))
	}}
	cases := map[string]struct {
		args       []string
		stdinFile  string
		objs       []client.Object
		funcs      interceptor.Funcs
		wantStatus int
	}{
		"whatif-status-change": {
			args:       []string{"what-if", "-f", "testdata/candidate.yaml", "-n", "production"},
			objs:       whatIfObjects(),
			wantStatus: ExitWouldChange,
		},
		"whatif-status-no-change": {
			// The candidate changes only production's override.
			args: []string{"what-if", "-f", "-", "--namespace", "staging"},
			objs: whatIfObjects(), stdinFile: "candidate.yaml",
		},
		"whatif-all-namespaces": {
			args:       []string{"what-if", "--all-namespaces", "-f", "testdata/candidate.yaml"},
			objs:       whatIfObjects(),
			wantStatus: ExitWouldChange,
		},
		"whatif-configmap-not-found": {
			// Live: the built-in defaults; every threshold of the candidate differs.
			args:       []string{"what-if", "-f", "testdata/candidate.yaml", "-n", "production"},
			objs:       whatIfObjects()[1:],
			wantStatus: ExitWouldChange,
		},
		"whatif-no-variants": {
			args: []string{"what-if", "-f", "testdata/candidate.yaml", "-n", "empty"},
			objs: whatIfObjects(),
		},
		"whatif-forbidden": {
			args:       []string{"what-if", "-f", "testdata/candidate.yaml"},
			objs:       whatIfObjects(),
			funcs:      forbidden,
			wantStatus: ExitInvalid,
		},
		"whatif-no-file":           {args: []string{"what-if", "-n", "production"}, wantStatus: ExitUsage},
		"whatif-namespace-and-all": {args: []string{"what-if", "-f", "testdata/candidate.yaml", "-n", "a", "-A"}, wantStatus: ExitUsage},
		"whatif-bad-candidate":     {args: []string{"what-if", "-f", "testdata/not-string.yaml"}, wantStatus: ExitUsage},
		"whatif-bad-prometheus-url": {args: []string{"what-if", "-f", "testdata/candidate.yaml", "--prometheus-url", "prometheus:9090"},
			wantStatus: ExitUsage},
		"whatif-prometheus-token-missing": {args: []string{"what-if", "-f", "testdata/candidate.yaml", "--prometheus-url", "https://prometheus.test",
			"--prometheus-bearer-token-file", "testdata/no-such-token"}, wantStatus: ExitUsage},
		"whatif-prometheus-token-and-basic-auth": {args: []string{"what-if", "-f", "testdata/candidate.yaml", "--prometheus-url", "https://prometheus.test",
			"--prometheus-bearer-token-file", "testdata/candidate.yaml", "--prometheus-basic-auth-username", "u"}, wantStatus: ExitUsage},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			stdin := ""
			if tc.stdinFile != "" {
				stdin = readTestdata(t, tc.stdinFile)
			}
			var flags ClusterFlags
			got := transcript(t, tc.args, stdin, fakeCluster(t, "production", &flags, tc.funcs, tc.objs...))
			if want := fmt.Sprintf("exit status %d\n", tc.wantStatus); !strings.HasSuffix(got, want) {
				t.Errorf("want %q, got:\n%s", want, got)
			}
			checkGolden(t, name, got)
		})
	}
}

// fakePrometheus answers the two instant queries metricsource runs per
// model, from series keyed by metric, namespace and model, and fails the
// queries of namespace "broken".
func fakePrometheus(t *testing.T, series map[[3]string]map[string]string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.FormValue("query")
		if strings.Contains(q, `namespace="broken"`) {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprint(w, `{"status":"error","errorType":"unavailable","error":"no store"}`)
			return
		}
		var result []string
		for k, pods := range series {
			if q != fmt.Sprintf("max by (pod) (%s{namespace=%q,model_name=%q})", k[0], k[1], k[2]) {
				continue
			}
			for pod, v := range pods {
				result = append(result, fmt.Sprintf(`{"metric":{"pod":%q},"value":[1735787045,%q]}`, pod, v))
			}
		}
		_, _ = fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[%s]}}`, strings.Join(result, ","))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestWhatIfPrometheus(t *testing.T) {
	const kv, queue = "vllm:kv_cache_usage_perc", "vllm:num_requests_waiting"
	srv := fakePrometheus(t, map[[3]string]map[string]string{
		// One granite pod is at 0.65, saturated with the candidate's 0.60.
		{kv, "production", "ibm/granite-13b"}:    {"granite-l4-a": "0.55", "granite-l4-b": "0.65", "granite-a100-a": "0.50"},
		{queue, "production", "ibm/granite-13b"}: {"granite-l4-a": "1", "granite-l4-b": "0", "granite-a100-a": "2"},
		// One llama pod of two reports.
		{kv, "production", "meta/llama-70b"}:    {"llama-a": "0.30"},
		{queue, "production", "meta/llama-70b"}: {"llama-a": "1"},
	})
	broken := analysed("broken", "granite", "ibm/granite-13b", "", 1, nil, nil)
	cases := map[string]struct {
		args       []string
		objs       []client.Object
		wantStatus int
	}{
		"whatif-prometheus": {
			args:       []string{"what-if", "-f", "testdata/candidate.yaml", "-n", "production", "--prometheus-url", srv.URL},
			objs:       whatIfObjects(),
			wantStatus: ExitWouldChange,
		},
		"whatif-prometheus-error": {
			args:       []string{"what-if", "-f", "testdata/candidate.yaml", "-n", "broken", "--prometheus-url", srv.URL},
			objs:       append(whatIfObjects(), broken),
			wantStatus: ExitInvalid,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var flags ClusterFlags
			got := transcript(t, tc.args, "", fakeCluster(t, "production", &flags, interceptor.Funcs{}, tc.objs...))
			got = strings.ReplaceAll(got, srv.URL, "http://prometheus.test")
			if want := fmt.Sprintf("exit status %d\n", tc.wantStatus); !strings.HasSuffix(got, want) {
				t.Errorf("want %q, got:\n%s", want, got)
			}
			checkGolden(t, name, got)
		})
	}
}

// TestWhatIfDocsSample keeps the sample of docs/kubectl-wva.md the output of
// the golden test it is taken from.
func TestWhatIfDocsSample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "docs", "kubectl-wva.md"))
	if err != nil {
		t.Fatal(err)
	}
	golden := readTestdata(t, "whatif-status-change.golden")
	sample, _, _ := strings.Cut(golden, "exit status")
	if !strings.Contains(string(doc), sample) {
		t.Errorf("docs/kubectl-wva.md does not show testdata/whatif-status-change.golden; the sample should read:\n%s", sample)
	}
}
