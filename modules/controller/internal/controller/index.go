package controller

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wva-project/wva/modules/api/v1alpha1"
)

// IndexModelID is the field index of VariantAutoscalings by spec.modelID. With
// client.InNamespace it finds the variants of one (namespace, model).
const IndexModelID = "spec.modelID"

// ModelIDIndexer extracts the IndexModelID value of a VariantAutoscaling.
func ModelIDIndexer(obj client.Object) []string {
	va, ok := obj.(*v1alpha1.VariantAutoscaling)
	if !ok || va.Spec.ModelID == "" {
		return nil
	}
	return []string{va.Spec.ModelID}
}

// SetupIndexes registers the field indexes the reconciler lists with.
func SetupIndexes(ctx context.Context, indexer client.FieldIndexer) error {
	if err := indexer.IndexField(ctx, &v1alpha1.VariantAutoscaling{}, IndexModelID, ModelIDIndexer); err != nil {
		return fmt.Errorf("indexing VariantAutoscalings by %s: %w", IndexModelID, err)
	}
	return nil
}
