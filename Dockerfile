# syntax=docker/dockerfile:1
# The controller image for machines with Docker (`make docker-build`).
# Without Docker, `make image` writes the same image (static binary at
# /wva-controller, user 65532:65532, same entrypoint) with hack/kind-offline's
# image writer; a test in hack/kind-offline keeps the two in step.

ARG GO_VERSION=1.26.8

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
ARG TARGETOS=linux
ARG TARGETARCH
WORKDIR /src
# The workspace and every module's go.mod/go.sum first, so that a change to
# the sources alone reuses the module download cache.
COPY go.work go.work.su[m] ./
COPY modules/api/go.mod modules/api/go.su[m] modules/api/
COPY modules/capacity/go.mod modules/capacity/go.su[m] modules/capacity/
COPY modules/controller/go.mod modules/controller/go.su[m] modules/controller/
COPY e2e/go.mod e2e/go.su[m] e2e/
COPY modules/ modules/
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags='-s -w' -o /out/wva-controller ./modules/controller/cmd/wva-controller

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/wva-controller /wva-controller
USER 65532:65532
ENTRYPOINT ["/wva-controller"]
