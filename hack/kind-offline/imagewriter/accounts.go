package imagewriter

import (
	"fmt"
	"io/fs"
)

const (
	// NonRoot is the uid and gid of the unprivileged user that Accounts adds,
	// the same as distroless's "nonroot".
	NonRoot = 65532
	// NonRootUser is the Spec.User value that runs as NonRoot.
	NonRootUser = "65532:65532"
)

// Accounts returns the entries a FROM-scratch image needs so that programs
// can look up their user and write temporary files: /etc/passwd and
// /etc/group with root and nonroot, their home directories and a sticky /tmp.
func Accounts() []Entry {
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n"+
		"nonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", NonRoot, NonRoot)
	group := fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", NonRoot)
	home := Dir("/home/nonroot", 0o700)
	home.UID, home.GID = NonRoot, NonRoot
	return []Entry{
		FileContent("/etc/passwd", []byte(passwd), 0o644),
		FileContent("/etc/group", []byte(group), 0o644),
		home,
		Dir("/root", 0o700),
		Dir("/tmp", fs.ModeSticky|0o777),
	}
}
