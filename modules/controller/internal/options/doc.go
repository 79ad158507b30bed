// Package options defines the command-line flags of wva-controller, their
// defaults and their validation. Parsing is a plain function of the arguments
// and the environment so that every flag can be tested without a process.
package options
