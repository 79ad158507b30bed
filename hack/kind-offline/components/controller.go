package components

import "github.com/wva-project/wva/hack/kind-offline/imagewriter"

const (
	// ControllerRepository is where the controller image is published.
	ControllerRepository = "ghcr.io/wva-project/wva-controller"
	// ControllerEntrypoint is the controller binary's path in its image, the
	// same in the Dockerfile's image and in the one Controller describes.
	ControllerEntrypoint = "/wva-controller"
	// ControllerUser is the non-root uid:gid the controller runs as.
	ControllerUser = imagewriter.NonRootUser
)

// Controller describes the controller image: the static binary at
// ControllerEntrypoint on an empty base (plus the accounts of a FROM-scratch
// image), running as ControllerUser.
func Controller(binary, tag string) imagewriter.Spec {
	return imagewriter.Spec{
		Tag:        tag,
		Entries:    append(imagewriter.Accounts(), imagewriter.File(binary, ControllerEntrypoint, 0o555)),
		Entrypoint: []string{ControllerEntrypoint},
		User:       ControllerUser,
	}
}
