package promrange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/rest"
)

// ErrQuery is matched (errors.Is) by the error of a query that Prometheus
// answered but did not run (status "error"), or whose answer is not a
// range vector (matrix).
var ErrQuery = errors.New("prometheus range query failed")

// Client queries the Prometheus behind one Service.
type Client struct {
	// REST is a client of the core API group, e.g.
	// kubernetes.Interface.CoreV1().RESTClient().
	REST rest.Interface
	// Namespace, Service and Port name the Prometheus Service.
	Namespace, Service string
	Port               int
}

// Point is one sample of a series.
type Point struct {
	T time.Time
	V float64
}

// Series is one series of a range vector: its labels and its samples,
// oldest first.
type Series struct {
	Labels map[string]string
	Points []Point
}

// Matrix is the result of a range query.
type Matrix []Series

// Range is the time range and resolution of a query.
type Range struct {
	Start, End time.Time
	Step       time.Duration
}

// maxPoints is the most samples Prometheus returns per series of one query.
const maxPoints = 11000

// Validate reports a range Prometheus would refuse.
func (r Range) Validate() error {
	switch {
	case r.Step <= 0:
		return fmt.Errorf("step %s must be positive", r.Step)
	case !r.End.After(r.Start):
		return fmt.Errorf("end %s must be after start %s", r.End.Format(time.RFC3339), r.Start.Format(time.RFC3339))
	case r.End.Sub(r.Start)/r.Step >= maxPoints:
		return fmt.Errorf("range %s at step %s has more than %d points per series; use a larger step", r.End.Sub(r.Start), r.Step, maxPoints)
	}
	return nil
}

// QueryRange runs the range query q over r.
func (c Client) QueryRange(ctx context.Context, q string, r Range) (Matrix, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("query %q: %w", q, err)
	}
	raw, err := c.REST.Get().
		Namespace(c.Namespace).
		Resource("services").
		Name(c.Service+":"+strconv.Itoa(c.Port)).
		SubResource("proxy").
		Suffix("api", "v1", "query_range").
		Param("query", q).
		Param("start", formatTime(r.Start)).
		Param("end", formatTime(r.End)).
		Param("step", strconv.FormatFloat(r.Step.Seconds(), 'f', -1, 64)).
		DoRaw(ctx)
	if err != nil {
		// Prometheus answers a bad query with 400 and its reason in the
		// body, which the REST client's error leaves out.
		var resp response
		if json.Unmarshal(raw, &resp) == nil && resp.Status == "error" {
			err = fmt.Errorf("%w: %s: %s (%w)", ErrQuery, resp.ErrorType, resp.Error, err)
		}
		return nil, fmt.Errorf("querying Prometheus %s/%s:%d for %q: %w", c.Namespace, c.Service, c.Port, q, err)
	}
	m, err := Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", q, err)
	}
	return m, nil
}

// response is the JSON of /api/v1/query_range.
type response struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Values [][2]any          `json:"values"`
		} `json:"result"`
	} `json:"data"`
}

// Decode parses the body of a range query's answer. Sample values are
// strings in Prometheus's JSON ("NaN", "+Inf" included), timestamps Unix
// seconds with a fraction.
func Decode(raw []byte) (Matrix, error) {
	var resp response
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, fmt.Errorf("%w: decoding the answer %q: %w", ErrQuery, truncate(raw), err)
	}
	if resp.Status != "success" {
		return nil, fmt.Errorf("%w: status %q, %s: %s", ErrQuery, resp.Status, resp.ErrorType, resp.Error)
	}
	if resp.Data.ResultType != "matrix" {
		return nil, fmt.Errorf("%w: result type %q, want matrix", ErrQuery, resp.Data.ResultType)
	}
	out := make(Matrix, 0, len(resp.Data.Result))
	for _, r := range resp.Data.Result {
		s := Series{Labels: r.Metric, Points: make([]Point, 0, len(r.Values))}
		for _, pair := range r.Values {
			p, err := decodePoint(pair)
			if err != nil {
				return nil, fmt.Errorf("%w: series %v: %w", ErrQuery, r.Metric, err)
			}
			s.Points = append(s.Points, p)
		}
		out = append(out, s)
	}
	return out, nil
}

func decodePoint(pair [2]any) (Point, error) {
	ts, ok := pair[0].(float64)
	if !ok {
		return Point{}, fmt.Errorf("timestamp %v is not a number", pair[0])
	}
	text, ok := pair[1].(string)
	if !ok {
		return Point{}, fmt.Errorf("value %v at %v is not a string", pair[1], ts)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	if err != nil {
		return Point{}, fmt.Errorf("value %q at %v: %w", text, ts, err)
	}
	sec, frac := math.Modf(ts)
	return Point{T: time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond)), V: v}, nil
}

// formatTime is t as Prometheus's API takes it: Unix seconds, millisecond
// precision.
func formatTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1e3, 'f', 3, 64)
}

func truncate(b []byte) string {
	const limit = 200
	if len(b) <= limit {
		return string(b)
	}
	return string(b[:limit]) + "..."
}
