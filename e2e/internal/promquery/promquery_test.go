package promquery

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

func TestDecode(t *testing.T) {
	cases := map[string]struct {
		body    string
		want    Vector
		wantErr bool
	}{
		"two series": {
			body: `{"status":"success","data":{"resultType":"vector","result":[` +
				`{"metric":{"pod":"a"},"value":[1700000000.5,"0.25"]},{"metric":{"pod":"b"},"value":[1700000000.5,"1"]}]}}`,
			want: Vector{{Labels: map[string]string{"pod": "a"}, Value: 0.25}, {Labels: map[string]string{"pod": "b"}, Value: 1}},
		},
		"empty": {
			body: `{"status":"success","data":{"resultType":"vector","result":[]}}`,
			want: Vector{},
		},
		"NaN": {
			body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}`,
			want: nil, // compared below: NaN != NaN
		},
		"error status":  {body: `{"status":"error","errorType":"bad_data","error":"parse error"}`, wantErr: true},
		"matrix":        {body: `{"status":"success","data":{"resultType":"matrix","result":[]}}`, wantErr: true},
		"not a number":  {body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}}`, wantErr: true},
		"not JSON":      {body: `<html>`, wantErr: true},
		"numeric value": {body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}}`, wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Decode([]byte(tc.body))
			if tc.wantErr {
				if !errors.Is(err, ErrQuery) {
					t.Fatalf("Decode: error %v, want one matching ErrQuery", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if name == "NaN" {
				if len(got) != 1 || got[0].Value == got[0].Value {
					t.Fatalf("Decode: %v, want one NaN sample", got)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Decode: -want +got:\n%s", diff)
			}
		})
	}
}

func TestVectorScalar(t *testing.T) {
	if _, ok, err := (Vector{}).Scalar(); ok || err != nil {
		t.Errorf("empty vector: ok=%v err=%v, want false, nil", ok, err)
	}
	if v, ok, err := (Vector{{Value: 3}}).Scalar(); v != 3 || !ok || err != nil {
		t.Errorf("one series: %v %v %v, want 3 true nil", v, ok, err)
	}
	if _, _, err := (Vector{{}, {}}).Scalar(); !errors.Is(err, ErrQuery) {
		t.Errorf("two series: error %v, want ErrQuery", err)
	}
}

// TestQueryPath checks that a query goes to the service proxy path of the
// Prometheus Service, with the query as a parameter.
func TestQueryPath(t *testing.T) {
	var gotPath, gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotQuery = r.URL.Path, r.URL.Query().Get("query")
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pod":"p"},"value":[1,"7"]}]}}`))
	}))
	defer srv.Close()
	rc, err := rest.RESTClientFor(&rest.Config{
		Host:    srv.URL,
		APIPath: "/api",
		ContentConfig: rest.ContentConfig{
			GroupVersion:         &corev1.SchemeGroupVersion,
			NegotiatedSerializer: clientgoscheme.Codecs.WithoutConversion(),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := Client{REST: rc, Namespace: "ns", Service: "prometheus", Port: 9090}
	got, err := c.Query(context.Background(), `sum(up{job="vllm"})`)
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	if want := "/api/v1/namespaces/ns/services/prometheus:9090/proxy/api/v1/query"; gotPath != want {
		t.Errorf("path %q, want %q", gotPath, want)
	}
	if want := `sum(up{job="vllm"})`; gotQuery != want {
		t.Errorf("query parameter %q, want %q", gotQuery, want)
	}
	if diff := cmp.Diff(map[string]float64{"p": 7}, got.ByLabel("pod")); diff != "" {
		t.Errorf("ByLabel: -want +got:\n%s", diff)
	}
}
