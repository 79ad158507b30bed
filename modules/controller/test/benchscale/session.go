package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// quietPeriod is how long the controller must send no API request for the
// passes a change caused to count as over.
const quietPeriod = time.Second

// bench holds what every run shares.
type bench struct {
	controllerBin  string
	crdDir         string
	dir            string
	controllerArgs []string
}

// session is one run's control plane, objects, fake metrics and controller.
type session struct {
	name    string
	cluster *cluster
	prom    *fakePrometheus
	cm      *corev1.ConfigMap
	ctrl    *controllerProc
	tracker *tracker
	// stopTracking ends the tracker's watch, which would otherwise hold the
	// API server's shutdown.
	stopTracking context.CancelFunc
	vas          int
}

// open starts a fresh control plane with capacity-scaling-config and n
// VariantAutoscalings with their Deployments.
func (b *bench) open(ctx context.Context, name string, n int) (*session, error) {
	start := time.Now()
	c, err := startCluster(b.crdDir, b.dir)
	if err != nil {
		return nil, err
	}
	s := &session{name: name, cluster: c, vas: n, cm: capacityConfig("0.80")}
	if err := c.createNamespaces(ctx, configNamespace, vaNamespace); err != nil {
		s.close()
		return nil, err
	}
	if err := c.createAll(ctx, append([]client.Object{s.cm}, workload(n)...)); err != nil {
		s.close()
		return nil, err
	}
	if s.prom, err = startFakePrometheus(); err != nil {
		s.close()
		return nil, err
	}
	trackCtx, stopTracking := context.WithCancel(ctx)
	s.stopTracking = stopTracking
	if s.tracker, err = track(trackCtx, c.client, vaNamespace); err != nil {
		s.close()
		return nil, err
	}
	logger.Info("Control plane ready", "run", name, "variantAutoscalings", n, "took", time.Since(start).Round(time.Millisecond).String())
	return s, nil
}

// startController runs the controller and returns once every
// VariantAutoscaling shows the ConfigMap's resourceVersion and the
// controller has gone quiet.
func (s *session) startController(ctx context.Context, b *bench, args ...string) error {
	start := time.Now()
	log := filepath.Join(b.dir, fmt.Sprintf("%s-%d.log", s.name, start.UnixNano()))
	p, err := startController(b.controllerBin, s.cluster.kubeconfig, s.prom.url, log, append(args, b.controllerArgs...))
	if err != nil {
		return err
	}
	s.ctrl = p
	if err := p.waitReady(ctx); err != nil {
		return err
	}
	if _, err := s.tracker.wait(ctx, s.cm.ResourceVersion, s.vas); err != nil {
		return fmt.Errorf("startup: %w (controller log: %s)", err, log)
	}
	if err := p.waitQuiet(ctx, quietPeriod); err != nil {
		return fmt.Errorf("startup: %w", err)
	}
	logger.Info("Controller settled", "run", s.name, "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

func (s *session) stopController() {
	if s.ctrl != nil {
		s.ctrl.stop()
		s.ctrl = nil
	}
}

func (s *session) close() {
	s.stopController()
	if s.stopTracking != nil {
		s.stopTracking()
	}
	if s.prom != nil {
		s.prom.stop()
	}
	s.cluster.stop()
}
