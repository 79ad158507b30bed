// Package certs manages the admission webhook's serving certificate without
// cert-manager: a self-signed CA and a serving certificate for the webhook
// Service, kept in one Secret, with the CA patched into the caBundle of the
// controller's own ValidatingWebhookConfiguration.
//
// The controller does this itself so that admission works wherever the
// controller does, on kind and on air-gapped clusters included, with no
// other component to install. Its grants stay narrow: get and update on the
// one Secret (which the manifests create empty, because create cannot be
// limited by resourceNames) and get, update and patch on the one
// ValidatingWebhookConfiguration.
//
// Manager.Start runs on every replica (each serves the webhook): it checks
// the Secret every CheckInterval, issues a new CA and certificate when the
// Secret is empty, unreadable or within RenewBefore of expiry, serves the
// certificate from memory through GetCertificate (nothing is written to the
// container's read-only filesystem), and keeps the caBundle current. When it
// rotates, the caBundle carries the previous CA as well, until it expires,
// so that a replica still serving the previous certificate stays trusted
// until its next check. Two replicas that rotate at once conflict on the
// Secret's resourceVersion; the loser reads the winner's certificate on its
// next attempt.
package certs
