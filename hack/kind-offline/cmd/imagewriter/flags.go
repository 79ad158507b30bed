package main

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/wva-project/wva/hack/kind-offline/imagewriter"
)

// list is a repeatable string flag.
type list []string

func (l *list) String() string { return strings.Join(*l, ",") }

func (l *list) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// parseFile parses SRC=DST[:MODE], MODE in octal.
func parseFile(v string) (imagewriter.Entry, error) {
	src, dst, ok := strings.Cut(v, "=")
	if !ok || src == "" || dst == "" {
		return imagewriter.Entry{}, fmt.Errorf("-file %q: want SRC=DST[:MODE]", v)
	}
	var mode fs.FileMode
	if d, m, ok := strings.Cut(dst, ":"); ok {
		n, err := strconv.ParseUint(m, 8, 32)
		if err != nil || n > 0o7777 {
			return imagewriter.Entry{}, fmt.Errorf("-file %q: mode %q: want octal permission bits such as 0755", v, m)
		}
		dst, mode = d, fs.FileMode(n&0o777)
		if n&0o4000 != 0 {
			mode |= fs.ModeSetuid
		}
		if n&0o2000 != 0 {
			mode |= fs.ModeSetgid
		}
		if n&0o1000 != 0 {
			mode |= fs.ModeSticky
		}
	}
	return imagewriter.File(src, dst, mode), nil
}
