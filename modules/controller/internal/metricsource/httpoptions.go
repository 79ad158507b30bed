package metricsource

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"os"
	"strings"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/api"
	"golang.org/x/net/http/httpguts"
)

// HTTPOptions say how to trust and authenticate to a Prometheus-compatible
// HTTP API (Prometheus, the Thanos querier, Cortex, Mimir, a managed
// service): the settings production front ends need. The zero value is plain
// HTTP(S) with the system roots and no credentials.
//
// Credentials come from files, never from flag values (which show in ps and
// in the pod spec), and are read on every request, so that a rotated
// projected service-account token or a changed password is used at once.
type HTTPOptions struct {
	// CAFile is a PEM bundle of the CAs that sign the server's certificate,
	// used instead of the system roots. Read once, at start.
	CAFile string
	// InsecureSkipVerify turns off the server certificate's verification.
	InsecureSkipVerify bool
	// BearerTokenFile holds a token sent as "Authorization: Bearer <token>".
	BearerTokenFile string
	// BasicAuthUsername and BasicAuthPasswordFile set HTTP basic auth.
	BasicAuthUsername     string
	BasicAuthPasswordFile string
	// Headers are sent with every request, e.g. a Thanos or Cortex tenant.
	Headers Headers
}

// Flag names of HTTPOptions, shared by the controller and kubectl wva.
const (
	FlagCAFile                = "prometheus-ca-file"
	FlagInsecureSkipVerify    = "prometheus-insecure-skip-verify"
	FlagBearerTokenFile       = "prometheus-bearer-token-file"
	FlagBasicAuthUsername     = "prometheus-basic-auth-username"
	FlagBasicAuthPasswordFile = "prometheus-basic-auth-password-file"
	FlagHeader                = "prometheus-header"
)

// BindFlags registers the --prometheus-* flags of the options on fs.
func (o *HTTPOptions) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.CAFile, FlagCAFile, o.CAFile,
		"PEM file of the CAs that sign the Prometheus server's certificate (instead of the system roots); read at start.")
	fs.BoolVar(&o.InsecureSkipVerify, FlagInsecureSkipVerify, o.InsecureSkipVerify,
		"Do not verify the Prometheus server's certificate. Insecure: anyone on the path can read and change the metrics. Logged as a warning.")
	fs.StringVar(&o.BearerTokenFile, FlagBearerTokenFile, o.BearerTokenFile,
		"File holding a bearer token for Prometheus (e.g. a projected service-account token); re-read on every query, so rotation needs no restart.")
	fs.StringVar(&o.BasicAuthUsername, FlagBasicAuthUsername, o.BasicAuthUsername,
		"User name of HTTP basic auth to Prometheus (with --"+FlagBasicAuthPasswordFile+").")
	fs.StringVar(&o.BasicAuthPasswordFile, FlagBasicAuthPasswordFile, o.BasicAuthPasswordFile,
		"File holding the basic-auth password for Prometheus; re-read on every query.")
	fs.Var(&o.Headers, FlagHeader,
		"NAME=VALUE header sent with every Prometheus query, e.g. X-Scope-OrgID=team-a for a Thanos or Cortex tenant; repeatable.")
}

// Validate reports each inconsistent setting to bad, naming its flag. It
// does not read the files: RoundTripper does, at start.
func (o HTTPOptions) Validate(bad func(flagName string, value any, why string)) {
	if o.InsecureSkipVerify && o.CAFile != "" {
		bad(FlagInsecureSkipVerify, true, "excludes --"+FlagCAFile+" (verify with the CA, or not at all)")
	}
	if o.BearerTokenFile != "" && (o.BasicAuthUsername != "" || o.BasicAuthPasswordFile != "") {
		bad(FlagBearerTokenFile, o.BearerTokenFile, "excludes basic auth (both set the Authorization header)")
	}
	if (o.BasicAuthUsername == "") != (o.BasicAuthPasswordFile == "") {
		if o.BasicAuthUsername == "" {
			bad(FlagBasicAuthUsername, "", "must be set with --"+FlagBasicAuthPasswordFile)
		} else {
			bad(FlagBasicAuthPasswordFile, "", "must be set with --"+FlagBasicAuthUsername)
		}
	}
	credentials := o.BearerTokenFile != "" || o.BasicAuthUsername != ""
	for _, h := range o.Headers {
		switch {
		case credentials && h.Name == "Authorization":
			bad(FlagHeader, h.String(), "excludes --"+FlagBearerTokenFile+" and basic auth (both set the Authorization header)")
		case h.Name == "Host":
			bad(FlagHeader, h.String(), "the Host header comes from --prometheus-url")
		}
	}
}

// RoundTripper returns the transport the options describe, on top of
// client_golang's default transport. It reads the CA file and checks that
// the credential files can be read now, so that a typo fails at start; a
// disabled certificate verification is logged as a warning on log.
func (o HTTPOptions) RoundTripper(log logr.Logger) (http.RoundTripper, error) {
	base, ok := api.DefaultRoundTripper.(*http.Transport)
	if !ok {
		return nil, errors.New("client_golang's DefaultRoundTripper is not an *http.Transport")
	}
	t := base.Clone()
	if o.CAFile != "" || o.InsecureSkipVerify {
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", FlagCAFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--%s %q: no PEM certificate in it", FlagCAFile, o.CAFile)
		}
		t.TLSClientConfig.RootCAs = pool
	}
	if o.InsecureSkipVerify {
		t.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // the user's explicit, logged choice
		log.Info("WARNING: the Prometheus server's TLS certificate is not verified (--"+FlagInsecureSkipVerify+
			"); anyone on the network path can read and change the metrics that drive scaling",
			"flag", "--"+FlagInsecureSkipVerify)
	}
	rt := &authTransport{next: t, headers: make(http.Header, len(o.Headers))}
	for _, h := range o.Headers {
		rt.headers.Add(h.Name, h.Value)
	}
	if o.BearerTokenFile != "" {
		rt.token = &secretFile{flag: FlagBearerTokenFile, path: o.BearerTokenFile}
		if _, err := rt.token.read(); err != nil {
			return nil, err
		}
	}
	if o.BasicAuthUsername != "" {
		rt.username = o.BasicAuthUsername
		rt.password = &secretFile{flag: FlagBasicAuthPasswordFile, path: o.BasicAuthPasswordFile}
		if _, err := rt.password.read(); err != nil {
			return nil, err
		}
	}
	return rt, nil
}

// maxResponseBytes bounds what one query may return; a model has at most a
// few hundred replicas, each a short JSON object.
const maxResponseBytes = 8 << 20

// authTransport adds the configured headers and credentials to each request
// and bounds the size of each response.
type authTransport struct {
	next     http.RoundTripper
	headers  http.Header
	token    *secretFile // nil: no bearer token
	username string
	password *secretFile // nil: no basic auth
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// A RoundTripper must not change the caller's request.
	req = req.Clone(req.Context())
	for name, values := range t.headers {
		req.Header[name] = values
	}
	switch {
	case t.token != nil:
		token, err := t.token.read()
		if err != nil {
			closeBody(req)
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
	case t.password != nil:
		password, err := t.password.read()
		if err != nil {
			closeBody(req)
			return nil, err
		}
		req.SetBasicAuth(t.username, password)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{ReadCloser: resp.Body, left: maxResponseBytes}
	return resp, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// limitedBody fails a read past its limit instead of truncating silently,
// which would surface as a puzzling JSON error.
type limitedBody struct {
	io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fmt.Errorf("response larger than %d bytes", maxResponseBytes)
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, fmt.Errorf("response larger than %d bytes", maxResponseBytes)
	}
	return n, err
}

// secretFile is a credential read from a file on every use: kubelet swaps a
// projected token's file atomically, so a read sees the old or the new token,
// never half of one. One open and read per query costs microseconds.
type secretFile struct {
	flag, path string
}

func (s *secretFile) read() (string, error) {
	b, err := os.ReadFile(s.path)
	if err != nil {
		return "", fmt.Errorf("--%s: %w", s.flag, err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", fmt.Errorf("--%s %q: the file is empty", s.flag, s.path)
	}
	return v, nil
}

// Header is one NAME=VALUE of --prometheus-header.
type Header struct{ Name, Value string }

func (h Header) String() string { return h.Name + "=" + h.Value }

// Headers is the repeatable --prometheus-header flag.
type Headers []Header

var _ flag.Value = (*Headers)(nil)

func (h *Headers) String() string {
	if h == nil {
		return ""
	}
	s := make([]string, len(*h))
	for i, x := range *h {
		s[i] = x.String()
	}
	return strings.Join(s, ",")
}

// Set parses NAME=VALUE; the value may hold '=' and may be empty.
func (h *Headers) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	switch {
	case !ok:
		return fmt.Errorf("%q: want NAME=VALUE", s)
	case !httpguts.ValidHeaderFieldName(name):
		return fmt.Errorf("%q: %q is not a valid header name", s, name)
	case !httpguts.ValidHeaderFieldValue(value):
		return fmt.Errorf("%q: the value holds a character a header cannot", s)
	}
	*h = append(*h, Header{Name: textproto.CanonicalMIMEHeaderKey(name), Value: value})
	return nil
}
