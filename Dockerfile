# syntax=docker/dockerfile:1
#
# wsd and nmp in a distroless image. Build from the repository root:
#
#   docker build --build-arg VERSION=$(git describe --always --dirty) -t wsd:dev .
#
# The image runs as the distroless nonroot user (65532) and keeps its state
# in /data; deploy/helm/wsd runs it with a read-only root file system.

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
# Dependencies first, so that a source change does not download them again.
COPY go.mod go.sum ./
COPY client/go.mod client/
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    set -eu; \
    export CGO_ENABLED=0 GOOS="${TARGETOS:-linux}" GOARCH="${TARGETARCH:-amd64}"; \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/wsd ./cmd/wsd; \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/nmp ./cmd/nmp; \
    mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/wsd /wsd
COPY --from=build /out/nmp /nmp
# An empty /data owned by the runtime user: an anonymous volume created from
# the image inherits the ownership, so the non-root process can write to it.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
# HTTP API, raft, gossip (TCP and UDP).
EXPOSE 8080/tcp 8300/tcp 8301/tcp 8301/udp
VOLUME /data
ENTRYPOINT ["/wsd"]
CMD ["--data-dir=/data"]
