package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Group and Version of this API, also available together as GroupVersion.
const (
	Group   = "llmd.ai"
	Version = "v1alpha1"
)

var (
	// GroupVersion is the group and version of the objects in this package.
	GroupVersion = schema.GroupVersion{Group: Group, Version: Version}

	// SchemeBuilder collects the functions that add this package's types to a
	// scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds VariantAutoscaling and VariantAutoscalingList, and the
	// meta/v1 types every group version needs (ListOptions, ...), to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// Resource returns the GroupResource of a resource of this group, e.g.
// Resource("variantautoscalings"); API errors such as NotFound take one.
func Resource(resource string) schema.GroupResource {
	return GroupVersion.WithResource(resource).GroupResource()
}

func addKnownTypes(scheme *runtime.Scheme) error {
	scheme.AddKnownTypes(GroupVersion,
		&VariantAutoscaling{},
		&VariantAutoscalingList{},
	)
	metav1.AddToGroupVersion(scheme, GroupVersion)
	return nil
}
