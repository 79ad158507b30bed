package metricsource

import (
	"context"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp"
)

func TestHeadersSet(t *testing.T) {
	cases := map[string]struct {
		args    []string
		want    Headers
		wantErr string
	}{
		"tenant header, canonicalised": {
			args: []string{"x-scope-orgid=team-a"},
			want: Headers{{Name: "X-Scope-Orgid", Value: "team-a"}},
		},
		"repeated, a value holding '=' and an empty value": {
			args: []string{"X-A=b=c", "X-Empty="},
			want: Headers{{Name: "X-A", Value: "b=c"}, {Name: "X-Empty", Value: ""}},
		},
		"no '='":           {args: []string{"X-Scope-OrgID"}, wantErr: `"X-Scope-OrgID": want NAME=VALUE`},
		"space in a name":  {args: []string{"X Tenant=a"}, wantErr: `"X Tenant=a": "X Tenant" is not a valid header name`},
		"empty name":       {args: []string{"=a"}, wantErr: `"=a": "" is not a valid header name`},
		"newline in value": {args: []string{"X-A=a\nb"}, wantErr: "the value holds a character a header cannot"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var o HTTPOptions
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			o.BindFlags(fs)
			var args []string
			for _, a := range tc.args {
				args = append(args, "--"+FlagHeader, a)
			}
			err := fs.Parse(args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Parse(%q) = %v, want an error containing %q", args, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", args, err)
			}
			if diff := cmp.Diff(tc.want, o.Headers); diff != "" {
				t.Errorf("Headers: -want +got:\n%s", diff)
			}
		})
	}
}

func TestHTTPOptionsValidate(t *testing.T) {
	cases := map[string]struct {
		o    HTTPOptions
		want []string
	}{
		"zero value":              {},
		"CA, token and a tenant":  {o: HTTPOptions{CAFile: "ca.crt", BearerTokenFile: "token", Headers: Headers{{"X-Scope-Orgid", "a"}}}},
		"basic auth":              {o: HTTPOptions{BasicAuthUsername: "wva", BasicAuthPasswordFile: "pw"}},
		"insecure, no CA":         {o: HTTPOptions{InsecureSkipVerify: true}},
		"insecure with a CA file": {o: HTTPOptions{InsecureSkipVerify: true, CAFile: "ca.crt"}, want: []string{"--prometheus-insecure-skip-verify=true: excludes --prometheus-ca-file (verify with the CA, or not at all)"}},
		"token and basic auth": {
			o:    HTTPOptions{BearerTokenFile: "token", BasicAuthUsername: "wva", BasicAuthPasswordFile: "pw"},
			want: []string{"--prometheus-bearer-token-file=token: excludes basic auth (both set the Authorization header)"},
		},
		"user without password": {o: HTTPOptions{BasicAuthUsername: "wva"}, want: []string{"--prometheus-basic-auth-password-file=: must be set with --prometheus-basic-auth-username"}},
		"password without user": {o: HTTPOptions{BasicAuthPasswordFile: "pw"}, want: []string{"--prometheus-basic-auth-username=: must be set with --prometheus-basic-auth-password-file"}},
		"Authorization header with a token": {
			o:    HTTPOptions{BearerTokenFile: "token", Headers: Headers{{"Authorization", "Bearer x"}}},
			want: []string{"--prometheus-header=Authorization=Bearer x: excludes --prometheus-bearer-token-file and basic auth (both set the Authorization header)"},
		},
		"Authorization header alone is the user's": {o: HTTPOptions{Headers: Headers{{"Authorization", "Bearer x"}}}},
		"Host header": {o: HTTPOptions{Headers: Headers{{"Host", "a"}}}, want: []string{"--prometheus-header=Host=a: the Host header comes from --prometheus-url"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			tc.o.Validate(func(flagName string, value any, why string) {
				got = append(got, fmt.Sprintf("--%s=%v: %s", flagName, value, why))
			})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Validate: -want +got:\n%s", diff)
			}
		})
	}
}

// recorder is a Prometheus stand-in that answers every query with one sample
// and records the headers of each request.
type recorder struct {
	mu      sync.Mutex
	headers []http.Header
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.headers = append(r.headers, req.Header.Clone())
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"model_name":"m"},"value":[1,"1"]}]}}`)
}

func (r *recorder) last(t *testing.T) http.Header {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.headers) == 0 {
		t.Fatal("no request reached the server")
	}
	return r.headers[len(r.headers)-1]
}

// sourceWith returns a source for url through the transport of o.
func sourceWith(t *testing.T, url string, o HTTPOptions, log logr.Logger) *Prometheus {
	t.Helper()
	rt, err := o.RoundTripper(log)
	if err != nil {
		t.Fatalf("RoundTripper(%+v): %v", o, err)
	}
	p, err := NewPrometheus(url, 5*time.Second, rt)
	if err != nil {
		t.Fatalf("NewPrometheus: %v", err)
	}
	return p
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRoundTripperCredentials: the headers of each request, and a token or
// password rotated between two queries is sent on the next one.
func TestRoundTripperCredentials(t *testing.T) {
	dir := t.TempDir()
	tokenFile, passwordFile := filepath.Join(dir, "token"), filepath.Join(dir, "password")
	cases := map[string]struct {
		o                HTTPOptions
		rotate           func()
		before, after    string // Authorization of the first and second query
		wantTenant       string
		wantNoCredential bool
	}{
		"no credentials": {wantNoCredential: true},
		"bearer token, rotated, with a tenant header": {
			o:      HTTPOptions{BearerTokenFile: tokenFile, Headers: Headers{{"X-Scope-Orgid", "team-a"}}},
			rotate: func() { writeFile(t, tokenFile, "token-2\n") },
			before: "Bearer token-1", after: "Bearer token-2", wantTenant: "team-a",
		},
		"basic auth, password rotated": {
			o:      HTTPOptions{BasicAuthUsername: "wva", BasicAuthPasswordFile: passwordFile},
			rotate: func() { writeFile(t, passwordFile, "pw-2") },
			before: "Basic d3ZhOnB3LTE=", after: "Basic d3ZhOnB3LTI=", // wva:pw-1, wva:pw-2
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			writeFile(t, tokenFile, "token-1\n")
			writeFile(t, passwordFile, "pw-1")
			rec := &recorder{}
			srv := httptest.NewServer(rec)
			t.Cleanup(srv.Close)
			p := sourceWith(t, srv.URL, tc.o, logr.Discard())
			if _, err := p.ModelNames(context.Background(), "ns", 10); err != nil {
				t.Fatalf("first query: %v", err)
			}
			first := rec.last(t)
			if tc.rotate != nil {
				tc.rotate()
			}
			if _, err := p.ModelNames(context.Background(), "ns", 10); err != nil {
				t.Fatalf("second query: %v", err)
			}
			second := rec.last(t)
			if tc.wantNoCredential {
				if got := first.Get("Authorization"); got != "" {
					t.Errorf("Authorization = %q, want none", got)
				}
				return
			}
			if got := first.Get("Authorization"); got != tc.before {
				t.Errorf("first Authorization = %q, want %q", got, tc.before)
			}
			if got := second.Get("Authorization"); got != tc.after {
				t.Errorf("Authorization after the rotation = %q, want %q", got, tc.after)
			}
			if got := second.Get("X-Scope-Orgid"); got != tc.wantTenant {
				t.Errorf("X-Scope-OrgID = %q, want %q", got, tc.wantTenant)
			}
		})
	}
}

// TestRoundTripperTLS: a server whose certificate the system roots do not
// know fails verification; its CA file or an explicit, warned-about
// insecure-skip-verify makes it work.
func TestRoundTripperTLS(t *testing.T) {
	srv := httptest.NewTLSServer(&recorder{})
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	writeFile(t, caFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))

	if _, err := sourceWith(t, srv.URL, HTTPOptions{}, logr.Discard()).ModelNames(context.Background(), "ns", 1); err == nil ||
		!strings.Contains(err.Error(), "certificate") {
		t.Errorf("system roots: error = %v, want a certificate verification error", err)
	}
	if _, err := sourceWith(t, srv.URL, HTTPOptions{CAFile: caFile}, logr.Discard()).ModelNames(context.Background(), "ns", 1); err != nil {
		t.Errorf("with --%s: %v", FlagCAFile, err)
	}
	var logged []string
	log := funcr.New(func(prefix, args string) { logged = append(logged, args) }, funcr.Options{})
	if _, err := sourceWith(t, srv.URL, HTTPOptions{InsecureSkipVerify: true}, log).ModelNames(context.Background(), "ns", 1); err != nil {
		t.Errorf("with --%s: %v", FlagInsecureSkipVerify, err)
	}
	if len(logged) != 1 || !strings.Contains(logged[0], "WARNING: the Prometheus server's TLS certificate is not verified") {
		t.Errorf("logged %q, want one warning about the skipped verification", logged)
	}
}

// TestRoundTripperFileErrors: a credential or CA file that cannot be used
// fails at start, naming its flag; one that goes away later fails the query,
// naming the flag and the query.
func TestRoundTripperFileErrors(t *testing.T) {
	dir := t.TempDir()
	empty, notPEM := filepath.Join(dir, "empty"), filepath.Join(dir, "not-pem")
	writeFile(t, empty, " \n")
	writeFile(t, notPEM, "hello")
	missing := filepath.Join(dir, "missing")
	cases := map[string]struct {
		o    HTTPOptions
		want string
	}{
		"missing token file":    {o: HTTPOptions{BearerTokenFile: missing}, want: "--prometheus-bearer-token-file: open " + missing + ": no such file or directory"},
		"empty token file":      {o: HTTPOptions{BearerTokenFile: empty}, want: fmt.Sprintf("--prometheus-bearer-token-file %q: the file is empty", empty)},
		"missing password file": {o: HTTPOptions{BasicAuthUsername: "wva", BasicAuthPasswordFile: missing}, want: "--prometheus-basic-auth-password-file: open " + missing},
		"missing CA file":       {o: HTTPOptions{CAFile: missing}, want: "--prometheus-ca-file: open " + missing},
		"CA file without PEM":   {o: HTTPOptions{CAFile: notPEM}, want: fmt.Sprintf("--prometheus-ca-file %q: no PEM certificate in it", notPEM)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := tc.o.RoundTripper(logr.Discard()); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("RoundTripper = %v, want an error containing %q", err, tc.want)
			}
		})
	}

	t.Run("token file removed after start", func(t *testing.T) {
		tokenFile := filepath.Join(t.TempDir(), "token")
		writeFile(t, tokenFile, "t")
		rec := &recorder{}
		srv := httptest.NewServer(rec)
		t.Cleanup(srv.Close)
		p := sourceWith(t, srv.URL, HTTPOptions{BearerTokenFile: tokenFile}, logr.Discard())
		if err := os.Remove(tokenFile); err != nil {
			t.Fatal(err)
		}
		_, err := p.ModelMetrics(context.Background(), "ns", "m")
		q := Query(MetricKvCacheUsage, "ns", "m")
		for _, want := range []string{fmt.Sprintf("prometheus query %q", q), "--prometheus-bearer-token-file: open " + tokenFile} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error = %v, want one containing %q", err, want)
			}
		}
	})
}

// TestResponseLimit: a response past maxResponseBytes fails the query
// instead of being decoded in full.
func TestResponseLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"success","data":{"resultType":"vector","result":[`)
		sample := `{"metric":{"pod":"p"},"value":[1,"1"]},`
		for range maxResponseBytes/len(sample) + 1 {
			_, _ = io.WriteString(w, sample)
		}
		_, _ = io.WriteString(w, `{"metric":{"pod":"q"},"value":[1,"1"]}]}}`)
	}))
	t.Cleanup(srv.Close)
	_, err := sourceWith(t, srv.URL, HTTPOptions{}, logr.Discard()).ModelMetrics(context.Background(), "ns", "m")
	if want := fmt.Sprintf("response larger than %d bytes", maxResponseBytes); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error = %v, want one containing %q", err, want)
	}
}
