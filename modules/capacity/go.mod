module github.com/wva-project/wva/modules/capacity

go 1.26.8
