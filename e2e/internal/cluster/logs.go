package cluster

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wva-project/wva/e2e/internal/waits"
	"github.com/wva-project/wva/e2e/internal/zaplog"
)

// WaitLogs polls the log of the current controller pod (the entries written
// at or after since) until every query has a match, and fails the test if
// that takes longer than deadline from since. A zero since reads the whole
// log, with the deadline counted from now. It returns the first match of
// each query, in the order of queries. On timeout it names the missing lines
// and shows lines with the same message, if any (e.g. logged at another
// level or with other keys).
func (s *Suite) WaitLogs(ctx context.Context, t *testing.T, since time.Time, deadline time.Duration, queries ...zaplog.Query) []zaplog.Entry {
	t.Helper()
	found := make([]zaplog.Entry, len(queries))
	start := since
	if start.IsZero() {
		start = time.Now()
	}
	waits.Since(ctx, t, "controller log lines", start, deadline, waits.Fast, func(ctx context.Context) (bool, string, error) {
		pod, err := s.CurrentControllerPod(ctx)
		if err != nil {
			return false, err.Error(), nil
		}
		entries, err := s.ControllerLog(ctx, pod.Name, since)
		if err != nil {
			return false, err.Error(), nil
		}
		var missing []string
		for i, q := range queries {
			e, ok := zaplog.First(entries, q)
			if !ok {
				missing = append(missing, describeMissing(q, entries))
				continue
			}
			found[i] = e
		}
		if len(missing) > 0 {
			return false, "missing: " + strings.Join(missing, "; "), nil
		}
		return true, fmt.Sprintf("all %d lines found", len(queries)), nil
	})
	for _, e := range found {
		t.Logf("log: %s", e)
	}
	return found
}

func describeMissing(q zaplog.Query, entries []zaplog.Entry) string {
	similar := zaplog.WithMsg(entries, q.Msg)
	if len(similar) == 0 {
		return q.String()
	}
	return q.String() + " (same message seen as: " + similar[len(similar)-1].String() + ")"
}
