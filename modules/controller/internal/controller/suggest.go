package controller

import (
	"maps"
	"slices"
	"strings"

	"github.com/wva-project/wva/modules/capacity"
)

// closest returns the candidate nearest to s by edit distance, compared
// case-insensitively (ties: the first in order); "" without candidates.
func closest(s string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		if c == s {
			continue
		}
		if d := capacity.EditDistance(strings.ToLower(s), strings.ToLower(c)); bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// firstKeys returns the first n keys of m in sorted order.
func firstKeys[V any](m map[string]V, n int) []string {
	keys := slices.Sorted(maps.Keys(m))
	return keys[:min(n, len(keys))]
}
