//go:build integration

package integration

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/wva-project/wva/modules/controller/internal/configwatch"
	"github.com/wva-project/wva/modules/controller/internal/logging/logtest"
)

// apiProxy forwards TCP connections on a loopback address to the suite's
// API server, and can go away: cut closes the listener and every forwarded
// connection, so that clients see their streams end and their next dials
// refused, as they do while a kube-apiserver restarts; restore listens on
// the same address again.
type apiProxy struct {
	t        *testing.T
	addr     string // host:port clients dial
	upstream string // the API server's host:port

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
}

func newAPIProxy(t *testing.T) *apiProxy {
	t.Helper()
	u, err := url.Parse(restConfig.Host)
	if err != nil {
		t.Fatal(err)
	}
	p := &apiProxy{t: t, upstream: u.Host, conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

// config is the suite's restConfig pointed at the proxy. The API server's
// certificate names 127.0.0.1, whatever the port.
func (p *apiProxy) config() *rest.Config {
	cfg := rest.CopyConfig(restConfig)
	cfg.Host = "https://" + p.addr
	return cfg
}

func (p *apiProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // cut
			}
			go p.forward(c)
		}
	}()
}

func (p *apiProxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		_ = c.Close()
		return
	}
	if !p.track(c, up) {
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		_ = dst.Close()
		_ = src.Close()
	}
	go pipe(up, c)
	go pipe(c, up)
	wg.Wait()
	p.untrack(c, up)
}

// track records a forwarded pair, or closes it if the proxy was cut meanwhile.
func (p *apiProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		for _, c := range conns {
			_ = c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *apiProxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		delete(p.conns, c)
	}
}

// cut closes the listener and every connection; idempotent.
func (p *apiProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

// restore listens on the proxy's address again.
func (p *apiProxy) restore() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("listening on %s again: %v", p.addr, err)
	}
	p.serve(ln)
}

// refused reports whether a dial of the proxy's address is refused now.
func (p *apiProxy) refused() error {
	c, err := net.DialTimeout("tcp", p.addr, time.Second)
	if err == nil {
		_ = c.Close()
		return errors.New("a dial of the proxy was accepted")
	}
	return nil
}

// TestConfigChangeRightAfterAnAPIOutage: the manager's API server goes away
// for outage (its watches end, every dial is refused) and comes back; a
// ConfigMap change made at that moment reaches every VariantAutoscaling
// within applyDeadline. client-go's reflectors retry a refused watch only
// after their backoff (doubling from 0.8 s, with jitter), long after the
// change; the ConfigMap read the refused requests start (Resync) carries
// it instead.
func TestConfigChangeRightAfterAnAPIOutage(t *testing.T) {
	const (
		count         = 3
		outage        = 8 * time.Second
		applyDeadline = 5 * time.Second
	)
	cfgNS, ns := namespace(t, "cfg"), namespace(t, "outage")
	cm := capacityConfigMap(cfgNS, defaultEntry)
	create(t, cm)
	for i := range count {
		create(t, variantAutoscaling(ns, fmt.Sprintf("variant-%03d", i), "ibm/granite-13b"))
	}
	proxy := newAPIProxy(t)
	m := startManagerOn(t, proxy.config(), managerOptions(cfgNS), nil, nil)
	t.Cleanup(func() {
		if t.Failed() {
			logTail(t, m.logs.Lines(), 300)
		}
	})
	for i := range count {
		eventually(t, 30*time.Second, "startup config in status",
			appliedIs(t, ns, fmt.Sprintf("variant-%03d", i), "default", cm.ResourceVersion))
	}

	proxy.cut()
	cutAt := time.Now()
	if err := proxy.refused(); err != nil {
		t.Fatal(err)
	}
	eventually(t, outage, "the refused requests open the resync window",
		hasLine(m.logs, "debug", configwatch.MsgResyncStarted, nil))
	// The outage itself: the reflectors' backoff grows while it lasts.
	<-time.After(time.Until(cutAt.Add(outage)))
	proxy.restore()

	took := updateAndWaitAllWithin(t, cm, ns, count, applyDeadline)
	delivered := "the informer's resumed watch"
	if hasLine(m.logs, "info", configwatch.MsgResyncApplied, map[string]any{"resourceVersion": cm.ResourceVersion})() == "" {
		delivered = "the resync read"
	}
	t.Logf("after a %s outage, a ConfigMap change reached %d VariantAutoscalings in %s, delivered by %s",
		outage, count, took.Round(time.Millisecond), delivered)
}

// logTail logs the manager's last n lines, for a failure to be read from
// CI's output: what each reconcile and the resync did after the outage.
func logTail(t *testing.T, lines []logtest.Line, n int) {
	t.Helper()
	t.Logf("the manager's last %d of %d log lines:", min(n, len(lines)), len(lines))
	for _, l := range lines[max(0, len(lines)-n):] {
		t.Logf("  %s %s %v", l.Level, l.Message, l.Fields)
	}
}
