module github.com/wva-project/wva/modules/controller

go 1.26.8
