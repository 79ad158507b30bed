// Package imagewriter writes container images as docker-archive tarballs
// (the format `docker load`, `podman load`, `ctr images import` and
// `kind load image-archive` read) without a container engine or registry.
//
// An image is described by a Spec: a reference tag, layer tarballs to start
// from, the files, directories and symlinks of one more layer, and the config
// (entrypoint, env, user). Write builds it with go-containerregistry and
// writes it under its exact tag. Output is reproducible: every timestamp is
// the Spec's Created time (the Unix epoch unless set) and entries are sorted.
package imagewriter
