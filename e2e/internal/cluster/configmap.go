package cluster

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wva-project/wva/e2e/internal/manifests"
)

// PutConfigMap creates the ConfigMap with exactly data, or replaces the data
// of the existing one, and returns the object (with its resourceVersion).
func (s *Suite) PutConfigMap(ctx context.Context, data map[string]string) (*corev1.ConfigMap, error) {
	cms := s.Kube.CoreV1().ConfigMaps(manifests.Namespace)
	cur, err := cms.Get(ctx, manifests.ConfigMapName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: manifests.Namespace, Name: manifests.ConfigMapName},
			Data:       data,
		}
		created, err := cms.Create(ctx, cm, metav1.CreateOptions{FieldManager: FieldManager})
		if err != nil {
			return nil, fmt.Errorf("creating ConfigMap %s: %w", manifests.ConfigMapName, err)
		}
		return created, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ConfigMap %s: %w", manifests.ConfigMapName, err)
	}
	cur.Data = data
	// Update carries the resourceVersion read above: a concurrent writer
	// makes it fail rather than be overwritten.
	updated, err := cms.Update(ctx, cur, metav1.UpdateOptions{FieldManager: FieldManager})
	if err != nil {
		return nil, fmt.Errorf("updating ConfigMap %s: %w", manifests.ConfigMapName, err)
	}
	return updated, nil
}

// DeleteConfigMap deletes the ConfigMap; a missing one is fine.
func (s *Suite) DeleteConfigMap(ctx context.Context) error {
	err := s.Kube.CoreV1().ConfigMaps(manifests.Namespace).Delete(ctx, manifests.ConfigMapName, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting ConfigMap %s: %w", manifests.ConfigMapName, err)
	}
	return nil
}
