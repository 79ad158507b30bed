package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/wva-project/wva/modules/controller/internal/app"
)

// cluster is one envtest control plane (kube-apiserver + etcd) with the CRD
// installed, and a client for this process with limits high enough that
// setting up thousands of objects is bounded by the API server alone.
type cluster struct {
	env        *envtest.Environment
	client     client.WithWatch
	kubeconfig string
	// metrics reads the API server's own /metrics.
	metrics    *http.Client
	metricsURL string
}

func startCluster(crdDir, dir string) (*cluster, error) {
	env := &envtest.Environment{CRDDirectoryPaths: []string{crdDir}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting envtest: %w", err)
	}
	c := &cluster{env: env, kubeconfig: filepath.Join(dir, "kubeconfig")}
	if err := writeKubeconfig(cfg, c.kubeconfig); err != nil {
		c.stop()
		return nil, err
	}
	scheme, err := app.Scheme()
	if err != nil {
		c.stop()
		return nil, err
	}
	if c.metrics, err = rest.HTTPClientFor(cfg); err != nil {
		c.stop()
		return nil, fmt.Errorf("creating the API server metrics client: %w", err)
	}
	c.metricsURL = strings.TrimSuffix(cfg.Host, "/") + "/metrics"
	fast := rest.CopyConfig(cfg)
	fast.QPS, fast.Burst = 5000, 10000
	if c.client, err = client.NewWithWatch(fast, client.Options{Scheme: scheme}); err != nil {
		c.stop()
		return nil, fmt.Errorf("creating the bench client: %w", err)
	}
	return c, nil
}

func (c *cluster) stop() {
	if err := c.env.Stop(); err != nil {
		logger.Error("Stopping envtest failed", "err", err)
	}
}

// configMapReads is how many GET and LIST requests for ConfigMaps the API
// server has served (apiserver_request_total). The benchmark itself reads
// none, so a difference is the controller's.
func (c *cluster) configMapReads(ctx context.Context) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.metricsURL, nil)
	if err != nil {
		return 0, fmt.Errorf("building the API server metrics request: %w", err)
	}
	resp, err := c.metrics.Do(req)
	if err != nil {
		return 0, fmt.Errorf("scraping the API server: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("scraping the API server: %s", resp.Status)
	}
	return sumMatching(resp.Body, "apiserver_request_total", `resource="configmaps"`, `verb="GET"`, `verb="LIST"`)
}

// writeKubeconfig writes the envtest admin credentials for the controller.
func writeKubeconfig(cfg *rest.Config, path string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken,
	}
	kc.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "admin"}
	kc.CurrentContext = "envtest"
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return nil
}

// createNamespaces creates the named namespaces.
func (c *cluster) createNamespaces(ctx context.Context, names ...string) error {
	objs := make([]client.Object, 0, len(names))
	for _, n := range names {
		objs = append(objs, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}})
	}
	return c.createAll(ctx, objs)
}

// createAll creates objs with a few parallel workers.
func (c *cluster) createAll(ctx context.Context, objs []client.Object) error {
	const workers = 16
	work := make(chan client.Object)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for obj := range work {
				if err := c.client.Create(ctx, obj); err != nil && errs[w] == nil {
					errs[w] = fmt.Errorf("creating %T %s/%s: %w", obj, obj.GetNamespace(), obj.GetName(), err)
				}
			}
		})
	}
	for _, obj := range objs {
		work <- obj
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}
