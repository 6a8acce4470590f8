# igcam in a container, for Kubernetes (deploy/k8s-evaluate-job.yaml) or any cluster.
# Not built on the development machines (no Docker there); kept to the plain, documented steps
# of README.md: Debian 12 + the official Swift image, the Debian libraries, a release build.
#
#   docker build -t igcam:latest .
#   docker run --rm igcam:latest evaluate --methods grad-cam --limit 2
ARG SWIFT_VERSION=6.0
FROM swift:${SWIFT_VERSION}-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libdnnl-dev libpng-dev libjpeg62-turbo-dev libncurses-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Package.swift names every target, test targets included, so their folders must be there.
COPY Package.swift ./
COPY Sources Sources
COPY Tests Tests
RUN swift build -c release --product igcam --static-swift-stdlib \
 && install -D .build/release/igcam /out/igcam

FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libdnnl2 libpng16-16 libjpeg62-turbo libncursesw6 ncurses-term libgomp1 libstdc++6 libcurl4 libxml2 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/igcam /usr/local/bin/igcam
COPY assets /usr/local/share/igcam/assets
ENTRYPOINT ["/usr/local/bin/igcam"]
CMD ["help"]
