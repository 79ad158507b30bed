// Package admission is the validating webhook for the capacity-scaling-config
// ConfigMap. It parses the ConfigMap being created or updated with the same
// capacity.Parse the controller reloads with, so that kubectl apply shows
// what the controller will later log, before the change takes effect.
//
// Validator has two modes (--config-admission): warn admits every ConfigMap
// and returns one admission warning per skipped entry, in the text of the
// spec's WARN line (Invalid capacity scaling config entry, skipping key=<k>
// error=<reason>), because the spec's runtime rule (skip the bad entry, keep
// the good ones) stays authoritative; enforce rejects a ConfigMap with
// invalid entries, giving every reason. Both also warn about entries accepted
// with a caveat, a missing or invalid default entry and ignored binaryData
// keys. The third mode, off, serves no webhook at all (see internal/app).
//
// Kubernetes truncates long warnings (256 characters each, 4096 in all), so
// every warning is cut at MaxWarningChars, at most MaxWarnings are returned
// (the last one then says how many were left out), and a rejection message
// is bounded the same way. Problems the handler has itself (an object it
// cannot decode) never reject a request: like failurePolicy Ignore, the
// webhook must never block a ConfigMap edit for a reason of its own.
//
// The serving certificate is managed by the subpackage certs.
package admission
