package capacity

import (
	"maps"
	"slices"
)

// BinaryDataIgnored is the message a controller logs, once per load and at
// warning level, when the capacity-scaling ConfigMap has binaryData keys,
// with the keys from IgnoredBinaryDataKeys:
//
//	WARN Capacity scaling ConfigMap binaryData is ignored, entries are read from data only keys=[default]
const BinaryDataIgnored = "Capacity scaling ConfigMap binaryData is ignored, entries are read from data only"

// IgnoredBinaryDataKeys returns the keys of a ConfigMap's binaryData,
// sorted, or nil if it has none. Parse takes only the ConfigMap's data, so
// an entry put under binaryData (for example by kubectl create configmap
// --from-file with a file that is not UTF-8) configures nothing; a caller
// that has the whole ConfigMap passes its BinaryData here and logs
// BinaryDataIgnored with the keys, so that the entry is not silently lost.
func IgnoredBinaryDataKeys(binaryData map[string][]byte) []string {
	if len(binaryData) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(binaryData))
}
