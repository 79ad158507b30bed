module github.com/wva-project/wva/e2e

go 1.26.8
