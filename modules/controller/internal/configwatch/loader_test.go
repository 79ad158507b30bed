package configwatch

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/capacity"
	"github.com/wva-project/wva/modules/controller/internal/logging/logtest"
	"github.com/wva-project/wva/modules/controller/internal/telemetry"
)

func TestLoaderLoad(t *testing.T) {
	cases := map[string]struct {
		reader      func(t *testing.T) client.Reader
		wantLines   []logtest.Line
		wantVersion string
		wantSource  capacity.Source // for ibm/granite-13b in production
		wantResult  string
	}{
		"ConfigMap found": {
			reader: func(t *testing.T) client.Reader { return fakeClient(t, configMap("", specData)) },
			wantLines: []logtest.Line{
				{Level: "info", Message: MsgLoaded, Fields: map[string]any{
					"configmap": key.Name, "namespace": key.Namespace, "resourceVersion": "999",
					"entries": int64(2), "has_default": true,
				}},
				{Level: "warn", Message: MsgInvalidEntry, Fields: map[string]any{
					"key": "invalid-config", "error": "kvCacheThreshold must be between 0 and 1, got 1.50",
				}},
				{Level: "warn", Message: MsgEntryWarning, Fields: map[string]any{
					"key": "granite-prod", "warning": granitePrecedence,
				}},
			},
			wantVersion: "999",
			wantSource:  capacity.OverrideSource("granite-prod"),
			wantResult:  telemetry.ResultLoaded,
		},
		"ConfigMap without default": {
			reader: func(t *testing.T) client.Reader {
				return fakeClient(t, configMap("", map[string]string{"note": "model_id: m\nnamespace: lab\nkvSpareTrigger: 0.2\n"}))
			},
			wantLines: []logtest.Line{
				{Level: "info", Message: MsgLoaded, Fields: map[string]any{
					"configmap": key.Name, "namespace": key.Namespace, "resourceVersion": "999",
					"entries": int64(1), "has_default": false,
				}},
				{Level: "warn", Message: MsgNoDefault, Fields: map[string]any{}},
			},
			wantVersion: "999",
			wantSource:  capacity.SourceBuiltin,
			wantResult:  telemetry.ResultLoaded,
		},
		"ConfigMap not found": {
			reader: func(t *testing.T) client.Reader { return fakeClient(t) },
			wantLines: []logtest.Line{{Level: "warn", Message: MsgNotFound, Fields: map[string]any{
				"configmap": key.Name, "namespace": key.Namespace,
			}}},
			wantSource: capacity.SourceBuiltin,
			wantResult: telemetry.ResultNotFound,
		},
		"read fails": {
			reader: func(*testing.T) client.Reader {
				return errReader(apierrors.NewForbidden(corev1Resource, key.Name, errors.New("no RBAC")))
			},
			wantLines: []logtest.Line{{Level: "warn", Message: MsgInitialFailed, Fields: map[string]any{
				"configmap": key.Name, "namespace": key.Namespace,
				"error": `configmaps "capacity-scaling-config" is forbidden: no RBAC`,
			}}},
			wantSource: capacity.SourceBuiltin,
			wantResult: telemetry.ResultError,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			log, rec := logtest.New()
			tel := newTelemetry(t)
			l := &Loader{Reader: tc.reader(t), Key: key, Store: capacity.NewStore(nil), Telemetry: tel}
			if err := l.ReadyCheck(nil); !errors.Is(err, ErrNotLoaded) {
				t.Errorf("ReadyCheck before Load = %v, want ErrNotLoaded", err)
			}
			l.Load(context.Background(), log)
			if err := l.ReadyCheck(nil); err != nil {
				t.Errorf("ReadyCheck after Load = %v, want nil", err)
			}
			mustDiff(t, "log lines", tc.wantLines, rec.Lines())
			snap := l.Store.Load()
			mustDiff(t, "version", tc.wantVersion, snap.Version())
			_, src := snap.Resolve("ibm/granite-13b", "production")
			mustDiff(t, "source", tc.wantSource, src)
			mustDiff(t, "reloads", 1.0, reloads(tel, tc.wantResult))
			mustDiff(t, "entries gauge", float64(snap.Entries()), testutil.ToFloat64(tel.ConfigEntries), cmp.Comparer(func(a, b float64) bool { return a == b }))
		})
	}
}
