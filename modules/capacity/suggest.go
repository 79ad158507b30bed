package capacity

import "strings"

// suggestField returns the known field that name most likely misspells, or
// "" when none is close: the same letters ignoring case, '_' and '-'
// (modelId, model-id, KvCacheThreshold), or at most two edits away
// (kvCacheTreshold).
func suggestField(name string) string {
	if len(name) > 64 {
		return ""
	}
	norm := normalizeFieldName(name)
	best, bestDist := "", 3
	for _, f := range knownFields() {
		d := EditDistance(norm, normalizeFieldName(f))
		if d < bestDist {
			best, bestDist = f, d
		}
	}
	return best
}

func normalizeFieldName(s string) string {
	s = strings.ToLower(s)
	return strings.NewReplacer("_", "", "-", "", " ", "").Replace(s)
}

// EditDistance is the Levenshtein distance between a and b, in bytes: the
// measure behind the library's "did you mean" suggestions, exported so that
// callers suggest names the same way.
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
