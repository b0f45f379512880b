module github.com/wsd-dev/wsd/client

go 1.26.8
