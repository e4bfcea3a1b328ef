# The OPI suite: one Makefile for every module. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ROOT     := $(abspath .)
TOOLS    := $(ROOT)/.tools
export GOBIN := $(TOOLS)/bin
export PATH  := $(TOOLS)/bin:$(TOOLS)/node_modules/.bin:$(PATH)

# Every Go module of the suite, in dependency order: release.yaml's list (the
# one list), read through `opi-release modules` on first use only, so that
# targets that do not need it (help, tools) do not build the tool. An empty
# answer stops make rather than loop over nothing.
OPI_RELEASE = go run ./opi-tools/cmd/opi-release
MODULES = $(eval MODULES := $$(or $$(shell $(OPI_RELEASE) modules),$$(error $(OPI_RELEASE) modules printed no module)))$(MODULES)

# Pinned generator tools.
BUF_VERSION                  := 1.75.0
PROTOC_GEN_GO_VERSION        := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION   := v1.6.2
GRPC_GATEWAY_VERSION         := v2.33.0
GRPCURL_VERSION              := v1.9.4
# kubeconform and the Kubernetes release whose OpenAPI document
# (k8s.io/kubernetes on the module proxy) its schemas are made from
# (opi-csi/deploy/schemagen): the manifests are validated offline.
KUBECONFORM_VERSION          := v0.8.0
K8S_SCHEMA_VERSION           := v1.37.2

# Debian packages the build and the tests need.
APT_PACKAGES := protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev \
                python3-grpcio python3-protobuf python3-pip python3-setuptools python3-wheel \
                cmake pkg-config g++ git curl pci.ids \
                cargo librust-prost-dev librust-prost-types-dev librust-prost-build-dev \
                strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-extra-plugins \
                clang llvm libbpf-dev bpftool nftables iproute2 iputils-ping \
                frr frr-pythontools jq \
                dnsmasq-base xfsprogs

.PHONY: help
help: ## Show the targets.
	@grep -hE '^[a-zA-Z/_%-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

.PHONY: tools
tools: ## Install the pinned tools and the Debian packages the build needs (idempotent).
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@mkdir -p $(TOOLS)/bin
	@[ -x $(TOOLS)/node_modules/.bin/buf ] && [ "$$($(TOOLS)/node_modules/.bin/buf --version)" = "$(BUF_VERSION)" ] || \
	  (cd $(TOOLS) && npm install --silent --no-audit --no-fund --no-save @bufbuild/buf@$(BUF_VERSION))
	@[ -x $(GOBIN)/protoc-gen-go ] && $(GOBIN)/protoc-gen-go --version | grep -q $(PROTOC_GEN_GO_VERSION) || \
	  GOFLAGS= go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	@[ -x $(GOBIN)/protoc-gen-go-grpc ] && $(GOBIN)/protoc-gen-go-grpc --version | grep -q $(PROTOC_GEN_GO_GRPC_VERSION:v%=%) || \
	  GOFLAGS= go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	@[ -x $(GOBIN)/protoc-gen-grpc-gateway ] && $(GOBIN)/protoc-gen-grpc-gateway --version | grep -q $(GRPC_GATEWAY_VERSION:v%=%) || \
	  GOFLAGS= go install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway@$(GRPC_GATEWAY_VERSION)
	@[ -x $(GOBIN)/protoc-gen-openapiv2 ] && $(GOBIN)/protoc-gen-openapiv2 --version | grep -q $(GRPC_GATEWAY_VERSION:v%=%) || \
	  GOFLAGS= go install github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2@$(GRPC_GATEWAY_VERSION)
	@[ -x $(GOBIN)/grpcurl ] && $(GOBIN)/grpcurl -version 2>&1 | grep -q $(GRPCURL_VERSION) || \
	  GOFLAGS= go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)
	@cd $(ROOT)/opi-tools && go build -o $(GOBIN)/protoc-gen-opidoc ./cmd/protoc-gen-opidoc
	@[ -x $(GOBIN)/kubeconform ] && go version -m $(GOBIN)/kubeconform | grep -q 'github.com/yannh/kubeconform[[:space:]]*$(KUBECONFORM_VERSION)' || \
	  GOFLAGS= go install github.com/yannh/kubeconform/cmd/kubeconform@$(KUBECONFORM_VERSION)
	@[ -s $(TOOLS)/k8s-schemas/$(K8S_SCHEMA_VERSION)/_definitions.json ] || { \
	  dir=$$(GOFLAGS= go mod download -json k8s.io/kubernetes@$(K8S_SCHEMA_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	  go run ./opi-csi/deploy/schemagen -in "$$dir/api/openapi-spec/swagger.json" -out $(TOOLS)/k8s-schemas/$(K8S_SCHEMA_VERSION); }
	@# A real SPDK for the storage tests: $$SPDK_DIR, else ../shared/spdk/dist unpacked into .tools.
	@scripts/spdk.sh install >/dev/null
	@echo "tools: ready in $(TOOLS)"

.PHONY: generate
generate: ## Regenerate every binding from opi-api/proto, and opi-upstream's and opi-ai-bridge's (KServe OIP) Go code.
	cd opi-api && buf generate
	cd opi-upstream && buf generate
	cd opi-ai-bridge && buf generate

.PHONY: lint
lint: ## buf lint, buf breaking, go vet of each module on its own (GOWORK=off), gofmt.
	cd opi-api && buf lint
	@$(MAKE) --no-print-directory breaking
	@# Each module on its own (GOWORK=off): its go.mod and go.sum must be complete.
	@for m in $(MODULES); do (cd $$m && GOWORK=off go vet ./...); done
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# buf breaking against the last released opi-api tag, or against the merge
# base with origin's main when there is no release yet.
.PHONY: breaking
breaking: ## Check the API for breaking changes against its last release.
	@tag=$$(git tag --list 'opi-api/v*' --sort=-v:refname | head -n1); \
	if [ -n "$$tag" ]; then ref="tag=$$tag"; else \
	  base=$$(git merge-base HEAD origin/main 2>/dev/null || git rev-list --max-parents=0 HEAD | tail -n1); ref="ref=$$base"; fi; \
	echo "buf breaking against $$ref"; \
	cd opi-api && buf breaking --against "$(ROOT)/.git#$$ref,subdir=opi-api"

.PHONY: check-generated
check-generated: generate ## Fail when regenerating changes any committed file.
	@if [ -n "$$(git status --porcelain -- opi-api opi-upstream opi-ai-bridge/internal/oip/inferencepb)" ]; then \
	  echo "generated code is stale: run 'make generate' and commit"; git status --porcelain -- opi-api opi-upstream opi-ai-bridge/internal/oip/inferencepb; exit 1; fi

.PHONY: build
build: ## Build every module and put the commands in bin/.
	@mkdir -p bin
	@for m in $(MODULES); do (cd $$m && go build -o /dev/null ./... && if [ -d cmd ]; then go build -o $(ROOT)/bin/ ./cmd/...; fi); done

.PHONY: test
test: ## Test every module with -race.
	@for m in $(MODULES); do echo "== $$m"; (cd $$m && go test -race -count=1 -timeout 30m ./...); done

# A pattern rule, not a list of targets, so that parsing the Makefile needs
# no module list; the explicit test/bindings and test/rust take precedence.
test/%: ## Test one module, e.g. make test/opi-kit.
	@case " $(MODULES) " in *" $* "*) ;; *) echo "$* is not a module in release.yaml: $(MODULES)"; exit 1;; esac
	cd $* && go test -race -count=1 ./...

.PHONY: test/bindings
test/bindings: ## Run the Python and C++ clients against the Go inventory service.
	cd opi-provisioning && go test -race -count=1 -v -run TestBindings ./internal/bindingstest/

.PHONY: test/rust
test/rust: ## Build the Rust messages (prost, offline from Debian's crates) and test them.
	cd opi-api/rust && cargo test --offline

.PHONY: bench
bench: ## Run every benchmark, side by side per package.
	@for m in $(MODULES); do (cd $$m && go test -run '^$$' -bench . -benchmem -timeout 60m ./...); done

.PHONY: release-verify release-plan release-tag
release-verify: ## Check release.yaml against the go.mod files, go.work, the import graph and the Dockerfiles.
	$(OPI_RELEASE) verify
release-plan: ## Show what changed since each module's last tag and the bump it needs.
	$(OPI_RELEASE) plan
release-tag: ## Print the tags a release creates; EXECUTE=1 creates them (never pushes).
	$(OPI_RELEASE) tag $(if $(EXECUTE),--execute)

.PHONY: demo
demo: tools build ## The main job: the compose stack up, driven by the opi CLI (make down stops it).
	scripts/demo.sh

.PHONY: images up down e2e
images: ## Build the container images offline, tagged from release.yaml (starts a Docker engine if none answers).
	scripts/docker-env.sh up
	eval "$$(scripts/docker-env.sh env)" && export DOCKER_HOST && scripts/images.sh
up: ## Run the compose stack (docker-compose.yml) and wait until it is healthy.
	scripts/stack.sh up
down: ## Stop the compose stack (volumes kept) and the private Docker engine.
	scripts/stack.sh down
e2e: ## End-to-end suite: the compose stack driven by the opi CLI in a container.
	tests/e2e/run.sh

.PHONY: check
check: tools lint check-generated release-verify build test test/rust e2e ## Everything CI runs: the README's test command.
