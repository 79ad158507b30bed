module github.com/wva-project/wva/modules/api

go 1.26.8
