// Package controller is the root of the WVA controller module. The manager
// binary, reconcilers, metrics sources and actuation live in its sub-packages.
package controller
