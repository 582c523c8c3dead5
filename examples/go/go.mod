module example.com/stagelens/hello

go 1.19
