package wvactl

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Exit statuses of kubectl-wva.
const (
	// ExitOK: the command did what was asked, and validate found every entry
	// valid.
	ExitOK = 0
	// ExitInvalid: validate found an invalid entry, or explain or what-if
	// could not read the cluster (VariantAutoscaling not found, forbidden,
	// unreachable) or, for what-if, Prometheus.
	ExitInvalid = 1
	// ExitUsage: bad flags or arguments, or input that cannot be read (no
	// such file, not YAML, no ConfigMap to use).
	ExitUsage = 2
)

// Env is what the commands take from their process, so that tests can
// supply it.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// NewClient connects to the cluster the kubeconfig flags select and
	// returns the namespace of the kubeconfig's current context. Only
	// explain without -f and what-if use it; nil means NewClusterClient.
	NewClient func(ClusterFlags) (client.Reader, string, error)
	// Now is the current time: the default of explain --at, and the time
	// explain compares a VariantAutoscaling's status with. Nil means
	// time.Now.
	Now func() time.Time
}

const usage = `kubectl wva checks and explains the capacity-scaling-config ConfigMap of the
Workload Variant Autoscaler.

Usage:
  kubectl wva validate -f FILE
  kubectl wva explain --model MODEL --namespace NAMESPACE -f FILE [--at TIME] [--timeline]
  kubectl wva explain [-n NAMESPACE] VARIANTAUTOSCALING [--at TIME] [--timeline]
  kubectl wva what-if -f CANDIDATE [-n NAMESPACE | --all-namespaces] [--prometheus-url URL]

FILE is a ConfigMap manifest or a multi-document YAML stream such as the
output of kustomize build; - reads standard input. validate and explain -f
work offline; explain with a VariantAutoscaling name reads the cluster of the
current kubeconfig. what-if compares the desired replicas of the
VariantAutoscalings under the live ConfigMap and under CANDIDATE.

Exit status: 0 on success, 1 when validate finds an invalid entry or explain
or what-if cannot read the cluster, 2 on a usage or input error, 3 when
what-if finds desired replicas that CANDIDATE would change.

Run kubectl wva COMMAND -h for the flags of a command.
`

// Run runs kubectl-wva with the arguments that follow the program name and
// returns its exit status.
func Run(args []string, env Env) int {
	if env.NewClient == nil {
		env.NewClient = NewClusterClient
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if len(args) == 0 {
		_, _ = fmt.Fprint(env.Stderr, usage)
		return ExitUsage
	}
	switch args[0] {
	case "validate":
		return runValidate(args[1:], env)
	case "explain":
		return runExplain(args[1:], env)
	case "what-if":
		return runWhatIf(args[1:], env)
	case "help", "-h", "-help", "--help":
		_, _ = fmt.Fprint(env.Stdout, usage)
		return ExitOK
	}
	_, _ = fmt.Fprintf(env.Stderr, "kubectl wva: unknown command %q\n\n%s", args[0], usage)
	return ExitUsage
}

// newFlagSet returns a flag set for a command whose usage text is synopsis
// followed by the flag defaults.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("kubectl wva "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		_, _ = fmt.Fprintf(stderr, "%s\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseInterspersed parses flags that may come before or after the
// positional arguments, as kubectl's do, and returns the positional ones.
// Everything after "--" is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// usageError is a problem with the command line, reported with the
// command's usage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// inputError is input that cannot be read or used (exit status 2).
type inputError struct{ err error }

func (e inputError) Error() string { return e.err.Error() }

func (e inputError) Unwrap() error { return e.err }

// fail reports err of a command and returns its exit status.
func fail(env Env, fs *flag.FlagSet, err error) int {
	var ue usageError
	var ie inputError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return ExitOK // the flag package printed the usage
	case errors.As(err, &ue):
		_, _ = fmt.Fprintf(env.Stderr, "%s: %v\n", fs.Name(), err)
		fs.Usage()
		return ExitUsage
	case errors.As(err, &ie):
		_, _ = fmt.Fprintf(env.Stderr, "%s: %v\n", fs.Name(), err)
		return ExitUsage
	case isFlagError(err):
		return ExitUsage // the flag package printed the error and the usage
	}
	_, _ = fmt.Fprintf(env.Stderr, "%s: %v\n", fs.Name(), err)
	return ExitInvalid
}

// flagError marks an error returned by FlagSet.Parse, which has already
// printed it.
type flagError struct{ err error }

func (e flagError) Error() string { return e.err.Error() }

func (e flagError) Unwrap() error { return e.err }

func isFlagError(err error) bool {
	var fe flagError
	return errors.As(err, &fe)
}

// parse wraps parseInterspersed so that fail can tell its errors apart.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	positional, err := parseInterspersed(fs, args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return nil, flagError{err}
	}
	return positional, err
}

// openInput opens the file of -f; "-" is standard input. The name returned
// is how messages refer to it.
func openInput(path string, stdin io.Reader) (io.ReadCloser, string, error) {
	if path == "-" {
		return io.NopCloser(stdin), "stdin", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, "", inputError{err}
	}
	return f, path, nil
}

// loadManifest reads the ConfigMaps of -f and selects those to use.
func loadManifest(path string, stdin io.Reader, s selection) ([]manifestConfigMap, string, error) {
	r, source, err := openInput(path, stdin)
	if err != nil {
		return nil, "", err
	}
	defer func() { _ = r.Close() }()
	cms, kinds, err := readConfigMaps(r)
	if err != nil {
		return nil, "", inputError{fmt.Errorf("%s: %w", source, err)}
	}
	picked, note, err := selectConfigMaps(cms, kinds, s, source)
	if err != nil {
		return nil, "", inputError{err}
	}
	return picked, note, nil
}

// printableKey returns a ConfigMap key as written, or Go-quoted when it
// holds blanks or characters that would not show.
func printableKey(key string) string {
	if key == "" || strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\u00a0' }) {
		return fmt.Sprintf("%q", key)
	}
	return key
}
