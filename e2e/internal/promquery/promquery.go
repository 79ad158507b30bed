package promquery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"k8s.io/client-go/rest"
)

// ErrQuery is matched (errors.Is) by the error of a query that Prometheus
// answered but did not run (status "error"), or whose answer is not an
// instant vector.
var ErrQuery = errors.New("prometheus query failed")

// Client queries the Prometheus behind one Service.
type Client struct {
	// REST is a client of the core API group, e.g.
	// kubernetes.Interface.CoreV1().RESTClient().
	REST rest.Interface
	// Namespace, Service and Port name the Prometheus Service.
	Namespace, Service string
	Port               int
}

// Sample is one series of an instant vector.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// Vector is the result of an instant query.
type Vector []Sample

// Scalar returns the value of a single-series vector (the result of an
// aggregation without "by"); ok is false when the vector is empty.
func (v Vector) Scalar() (value float64, ok bool, err error) {
	switch len(v) {
	case 0:
		return 0, false, nil
	case 1:
		return v[0].Value, true, nil
	}
	return 0, false, fmt.Errorf("%w: want at most one series, got %d", ErrQuery, len(v))
}

// ByLabel returns the values of v by the value of label (e.g. "pod").
func (v Vector) ByLabel(label string) map[string]float64 {
	out := make(map[string]float64, len(v))
	for _, s := range v {
		out[s.Labels[label]] = s.Value
	}
	return out
}

// Query runs the instant query q at the server's current time.
func (c Client) Query(ctx context.Context, q string) (Vector, error) {
	raw, err := c.REST.Get().
		Namespace(c.Namespace).
		Resource("services").
		Name(c.Service+":"+strconv.Itoa(c.Port)).
		SubResource("proxy").
		Suffix("api", "v1", "query").
		Param("query", q).
		DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("querying Prometheus %s/%s for %q: %w", c.Namespace, c.Service, q, err)
	}
	v, err := Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", q, err)
	}
	return v, nil
}

// response is the JSON of /api/v1/query.
type response struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

// Decode parses the body of an instant query's answer.
func Decode(raw []byte) (Vector, error) {
	var resp response
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, fmt.Errorf("%w: decoding the answer %q: %w", ErrQuery, truncate(raw), err)
	}
	if resp.Status != "success" {
		return nil, fmt.Errorf("%w: status %q, %s: %s", ErrQuery, resp.Status, resp.ErrorType, resp.Error)
	}
	if resp.Data.ResultType != "vector" {
		return nil, fmt.Errorf("%w: result type %q, want vector", ErrQuery, resp.Data.ResultType)
	}
	out := make(Vector, 0, len(resp.Data.Result))
	for _, r := range resp.Data.Result {
		s, ok := r.Value[1].(string)
		if !ok {
			return nil, fmt.Errorf("%w: value %v of %v is not a string", ErrQuery, r.Value[1], r.Metric)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("%w: value %q of %v: %w", ErrQuery, s, r.Metric, err)
		}
		out = append(out, Sample{Labels: r.Metric, Value: f})
	}
	return out, nil
}

func truncate(b []byte) string {
	const limit = 200
	if len(b) > limit {
		return string(b[:limit]) + "..."
	}
	return string(b)
}
