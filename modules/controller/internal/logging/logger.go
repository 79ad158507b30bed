package logging

import (
	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// New builds the process logger from the --zap-* flags: zap through zapr,
// JSON by default, --zap-devel for the console encoder and debug level.
// The result's sink implements zapr.Underlier, which Warn relies on.
func New(opts zap.Options) logr.Logger {
	return zap.New(zap.UseFlagOptions(&opts))
}
