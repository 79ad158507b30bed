package e2e

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/wva-project/wva/e2e/internal/cluster"
)

// TestEveryFeatureIsLabelled reads the suite's sources (this file has no
// build tag, so it runs with the unit tests): every features.New chain sets
// each label of cluster.FeatureLabels exactly once, to one of its values. A feature
// without labels would run whatever LABELS selects.
func TestEveryFeatureIsLabelled(t *testing.T) {
	found := 0
	forEachFeature(t, func(fset *token.FileSet, f *ast.File, call *ast.CallExpr) {
		found++
		got := map[string][]string{}
		for _, l := range chainLabels(f, call) {
			got[l[0]] = append(got[l[0]], l[1])
		}
		where := fset.Position(call.Pos()).String()
		for key, allowed := range cluster.FeatureLabels {
			switch v := got[key]; {
			case len(v) != 1:
				t.Errorf("%s: the feature sets label %q %d times (%v), want once", where, key, len(v), v)
			case !slices.Contains(allowed, v[0]):
				t.Errorf("%s: label %s=%q, want one of %v", where, key, v[0], allowed)
			}
		}
		for key := range got {
			if _, ok := cluster.FeatureLabels[key]; !ok {
				t.Errorf("%s: label %q is not one of the suite's (%v)", where, key, cluster.FeatureLabels)
			}
		}
	})
	if found < 20 {
		t.Errorf("found %d features.New calls, want the suite's 20 or more", found)
	}
}

// forEachFeature parses the suite's feature files and calls check with
// each features.New call.
func forEachFeature(t *testing.T, check func(fset *token.FileSet, f *ast.File, call *ast.CallExpr)) {
	t.Helper()
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok && isFeaturesNew(call) {
				check(fset, f, call)
			}
			return true
		})
	}
}

// stepMethods are the builder methods that take a step (their last
// argument).
var stepMethods = []string{"WithSetup", "Assess", "WithTeardown", "WithStep"}

// TestEveryStepIsNamed reads the suite's sources: no step of a
// features.New chain is an inline closure, so that a feature reads as its
// list of named steps. A step is a named constructor (fixture's shared
// ones, or a function below the feature's test), or fixture.Steps of
// them; closures handed to a constructor (a measure callback) are fine.
func TestEveryStepIsNamed(t *testing.T) {
	steps := 0
	forEachFeature(t, func(fset *token.FileSet, f *ast.File, call *ast.CallExpr) {
		for _, step := range chainSteps(f, call) {
			steps++
			ast.Inspect(step, func(n ast.Node) bool {
				if lit, ok := n.(*ast.FuncLit); ok && isStepShaped(lit.Type) {
					t.Errorf("%s: an inline step; name it (a fixture constructor, or a function below the feature's test)", fset.Position(lit.Pos()))
				}
				return true
			})
		}
	})
	if steps < 100 {
		t.Errorf("found %d steps in the features.New chains, want the suite's 100 or more", steps)
	}
}

// chainSteps returns the step argument of each step method (stepMethods)
// called on the builder that newCall returns.
func chainSteps(f *ast.File, newCall *ast.CallExpr) []ast.Expr {
	var out []ast.Expr
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if ok && slices.Contains(stepMethods, sel.Sel.Name) && len(call.Args) > 0 && chainedFrom(sel.X, newCall) {
			out = append(out, call.Args[len(call.Args)-1])
		}
		return true
	})
	return out
}

// isStepShaped reports whether a function type has a step's shape:
// (ctx, t, cfg) -> ctx.
func isStepShaped(fn *ast.FuncType) bool {
	count := func(fl *ast.FieldList) int {
		if fl == nil {
			return 0
		}
		n := 0
		for _, field := range fl.List {
			n += max(len(field.Names), 1)
		}
		return n
	}
	return count(fn.Params) == 3 && count(fn.Results) == 1
}

// isFeaturesNew matches features.New(...).
func isFeaturesNew(call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "New" {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "features"
}

// chainLabels returns the (key, value) of each .WithLabel("k", "v") called
// on the builder that newCall returns, anywhere up its method chain.
func chainLabels(f *ast.File, newCall *ast.CallExpr) [][2]string {
	var out [][2]string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "WithLabel" || len(call.Args) != 2 || !chainedFrom(sel.X, newCall) {
			return true
		}
		key, kerr := literal(call.Args[0])
		val, verr := literal(call.Args[1])
		if kerr == nil && verr == nil {
			out = append(out, [2]string{key, val})
		}
		return true
	})
	return out
}

// chainedFrom reports whether x is newCall or a method call chained on it.
func chainedFrom(x ast.Expr, newCall *ast.CallExpr) bool {
	for {
		if x == newCall {
			return true
		}
		call, ok := x.(*ast.CallExpr)
		if !ok {
			return false
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return false
		}
		x = sel.X
	}
}

func literal(e ast.Expr) (string, error) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", strconv.ErrSyntax
	}
	return strconv.Unquote(lit.Value)
}
