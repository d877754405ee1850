# gridloop: `make test` runs every check and test (scripts/test.sh), as CI does.
.PHONY: test run build lint

# Extra go test flags: make test ARGS='-run TestStore -v'
ARGS ?=

test:
	bash scripts/test.sh $(ARGS)

run:
	go run ./cmd/gridloop demo

build:
	go build -o bin/gridloop ./cmd/gridloop

# gofmt, go vet and staticcheck, without the database and browser setup.
lint:
	bash scripts/test.sh --lint-only
