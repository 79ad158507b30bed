package promrange

import (
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

func TestDecode(t *testing.T) {
	t0 := time.Unix(1767225600, 0)
	cases := map[string]struct {
		body    string
		want    Matrix
		wantErr bool
	}{
		"two series": {
			body: `{"status":"success","data":{"resultType":"matrix","result":[
				{"metric":{"variant_name":"granite-l4"},"values":[[1767225600,"1"],[1767225605.5,"2"]]},
				{"metric":{"variant_name":"granite-a100"},"values":[[1767225600,"0"]]}]}}`,
			want: Matrix{
				{Labels: map[string]string{"variant_name": "granite-l4"}, Points: []Point{{t0, 1}, {t0.Add(5500 * time.Millisecond), 2}}},
				{Labels: map[string]string{"variant_name": "granite-a100"}, Points: []Point{{t0, 0}}},
			},
		},
		"aggregate without labels, special values": {
			body: `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1767225600,"NaN"],[1767225605,"+Inf"]]}]}}`,
			want: Matrix{{Labels: map[string]string{}, Points: []Point{{t0, math.NaN()}, {t0.Add(5 * time.Second), math.Inf(1)}}}},
		},
		"no series": {
			body: `{"status":"success","data":{"resultType":"matrix","result":[]}}`,
			want: Matrix{},
		},
		"query error":             {body: `{"status":"error","errorType":"bad_data","error":"parse error"}`, wantErr: true},
		"instant vector":          {body: `{"status":"success","data":{"resultType":"vector","result":[]}}`, wantErr: true},
		"value not a string":      {body: `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1767225600,1]]}]}}`, wantErr: true},
		"value not a number":      {body: `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1767225600,"x"]]}]}}`, wantErr: true},
		"timestamp a string":      {body: `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[["1767225600","1"]]}]}}`, wantErr: true},
		"not JSON (an HTML page)": {body: `<html>502 Bad Gateway</html>`, wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Decode([]byte(tc.body))
			if tc.wantErr {
				if !errors.Is(err, ErrQuery) {
					t.Fatalf("Decode error = %v, want one matching ErrQuery", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateNaNs()); diff != "" {
				t.Errorf("Decode: -want +got:\n%s", diff)
			}
		})
	}
}

func TestRangeValidate(t *testing.T) {
	t0 := time.Unix(1767225600, 0)
	cases := map[string]struct {
		r       Range
		wantErr string
	}{
		"15 minutes at 5 s": {r: Range{Start: t0, End: t0.Add(15 * time.Minute), Step: 5 * time.Second}},
		"zero step":         {r: Range{Start: t0, End: t0.Add(time.Minute)}, wantErr: "step"},
		"end before start":  {r: Range{Start: t0, End: t0.Add(-time.Minute), Step: time.Second}, wantErr: "after start"},
		"too many points":   {r: Range{Start: t0, End: t0.Add(24 * time.Hour), Step: time.Second}, wantErr: "larger step"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.r.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Errorf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Validate error = %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}

// TestQueryRangeThroughServiceProxy runs the client against a fake API
// server: the request must take the service proxy's path with Prometheus's
// parameters, and Prometheus's own error must reach the caller.
func TestQueryRangeThroughServiceProxy(t *testing.T) {
	var got url.URL
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = *r.URL
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(r.URL.Query().Get("query"), "bad(") {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"1:4: parse error: unclosed left parenthesis"}`))
			return
		}
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1767225600,"3"]]}]}}`))
	}))
	defer srv.Close()
	kube, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	c := Client{REST: kube.CoreV1().RESTClient(), Namespace: "wva-demo", Service: "prometheus", Port: 9090}
	t0 := time.Unix(1767225600, 0)
	r := Range{Start: t0, End: t0.Add(time.Minute), Step: 5 * time.Second}

	m, err := c.QueryRange(t.Context(), `sum(loadgen_offered_rps)`, r)
	if err != nil {
		t.Fatalf("QueryRange: %v", err)
	}
	if len(m) != 1 || len(m[0].Points) != 1 || m[0].Points[0].V != 3 {
		t.Errorf("QueryRange = %+v, want one series with the value 3", m)
	}
	if want := "/api/v1/namespaces/wva-demo/services/prometheus:9090/proxy/api/v1/query_range"; got.Path != want {
		t.Errorf("path %q, want %q", got.Path, want)
	}
	wantQuery := url.Values{"query": {"sum(loadgen_offered_rps)"}, "start": {"1767225600.000"}, "end": {"1767225660.000"}, "step": {"5"}}
	if diff := cmp.Diff(wantQuery, got.Query()); diff != "" {
		t.Errorf("parameters: -want +got:\n%s", diff)
	}

	_, err = c.QueryRange(t.Context(), `bad(`, r)
	if !errors.Is(err, ErrQuery) || !strings.Contains(err.Error(), "unclosed left parenthesis") {
		t.Errorf("QueryRange of a bad query: error = %v, want ErrQuery with Prometheus's reason", err)
	}
}
