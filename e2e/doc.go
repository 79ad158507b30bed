// Package e2e holds the end-to-end suite that runs WVA on a real kind cluster.
package e2e
