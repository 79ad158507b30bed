package capacity

import "strings"

// maxSuggestLen bounds the names suggestField compares: a name much longer
// than every known field is no misspelling of one, and the edit distance
// costs the product of the lengths.
const maxSuggestLen = 64

// fieldNameReplacer drops the characters that people write differently in
// one field name (model_id, model-id, model id). Built once: a Replacer
// costs a lookup table to build.
var fieldNameReplacer = strings.NewReplacer("_", "", "-", "", " ", "")

// normalizedKnownFields holds normalizeFieldName of every known field, in
// the order of knownFieldNames.
var normalizedKnownFields = normalizeAll(knownFieldNames)

func normalizeAll(names []string) []string {
	out := make([]string, len(names))
	for i, f := range names {
		out[i] = normalizeFieldName(f)
	}
	return out
}

// suggestField returns the known field that name most likely misspells, or
// "" when none is close: the same letters ignoring case, '_' and '-'
// (modelId, model-id, KvCacheThreshold), or at most two edits away
// (kvCacheTreshold).
func suggestField(name string) string {
	return suggestFrom(name, knownFieldNames, normalizedKnownFields)
}

// suggestFrom is suggestField among the names known, whose normalized forms
// are normalized.
func suggestFrom(name string, known, normalized []string) string {
	if len(name) > maxSuggestLen {
		return ""
	}
	norm := normalizeFieldName(name)
	best, bestDist := "", 3
	for i, f := range known {
		d := EditDistance(norm, normalized[i])
		if d < bestDist {
			best, bestDist = f, d
		}
	}
	return best
}

func normalizeFieldName(s string) string {
	return fieldNameReplacer.Replace(strings.ToLower(s))
}

// EditDistance is the Levenshtein distance between a and b, in bytes: the
// measure behind the library's "did you mean" suggestions, exported so that
// callers suggest names the same way. It takes time proportional to
// len(a)*len(b), and allocates nothing when b is at most 64 bytes long.
func EditDistance(a, b string) int {
	var buf [2 * (maxSuggestLen + 1)]int
	var prev, cur []int
	if len(b) <= maxSuggestLen {
		prev, cur = buf[:len(b)+1], buf[maxSuggestLen+1:maxSuggestLen+1+len(b)+1]
	} else {
		prev, cur = make([]int, len(b)+1), make([]int, len(b)+1)
	}
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
