package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSumSamples(t *testing.T) {
	text := `# HELP rest_client_requests_total Number of HTTP requests.
# TYPE rest_client_requests_total counter
rest_client_requests_total{code="200",host="127.0.0.1:6443",method="GET"} 12
rest_client_requests_total{code="200",host="127.0.0.1:6443",method="PATCH"} 30
rest_client_requests_total_other 7
go_memstats_heap_inuse_bytes 1.1419648e+07
`
	got, err := sumSamples(strings.NewReader(text), []string{metricRequests, metricHeapInuse, "absent"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{metricRequests: 42, metricHeapInuse: 11419648, "absent": 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sumSamples: -want +got:\n%s", diff)
	}
}

func TestSumMatching(t *testing.T) {
	text := `apiserver_request_total{code="200",resource="configmaps",verb="GET"} 3
apiserver_request_total{code="200",resource="configmaps",verb="LIST"} 2
apiserver_request_total{code="200",resource="configmaps",verb="WATCH"} 5
apiserver_request_total{code="200",resource="pods",verb="GET"} 11
`
	got, err := sumMatching(strings.NewReader(text), "apiserver_request_total", `resource="configmaps"`, `verb="GET"`, `verb="LIST"`)
	if err != nil {
		t.Fatal(err)
	}
	if got != 5 {
		t.Errorf("sumMatching = %v, want 5", got)
	}
}
