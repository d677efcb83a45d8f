# syntax=docker/dockerfile:1
# The DAAP worker image: `daap-worker` (the default command) and `daapctl` (e.g.
# `daapctl migrate up`), the migrations, and only the shared libraries they load.
#
#   docker build -t daap-worker .
#   docker run --rm -e DATABASE_URL=... daap-worker daapctl migrate up
#   docker run --rm -e DATABASE_URL=... -p 8080:8080 daap-worker
#
# Validated offline only (no Docker engine on the project's machines): the runtime-library
# step was run against the binaries scripts/setup builds and its package list resolved with
# `apt-get install -s` on Debian 12; the image itself was not built here.

ARG DEBIAN_IMAGE=debian:12-slim

# --- build: the project's own set-up script on Debian 12 ---------------------------------
FROM ${DEBIAN_IMAGE} AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
COPY . .
# Installs the build's Debian packages, fetches libpqxx 7.10's source (Debian 13) and builds
# into build/. Then: the two binaries, stripped, and the Debian packages of the shared
# libraries they load, as dpkg-shlibdeps (dpkg-dev) names them for a Debian package.
RUN scripts/setup \
 && mkdir -p /out/bin /out/share/daap /tmp/shlibs/debian \
 && install -s -m 0755 build/worker/daap_worker/daap-worker build/worker/daapctl/daapctl /out/bin/ \
 && cp -r migrations /out/share/daap/migrations \
 && printf 'Source: daap\n\nPackage: daap\nArchitecture: any\n' >/tmp/shlibs/debian/control \
 && (cd /tmp/shlibs && dpkg-shlibdeps -O /out/bin/daap-worker /out/bin/daapctl) >/tmp/shlibs/depends \
 && sed -e 's/^shlibs:Depends=//' -e 's/ ([^)]*)//g' -e 's/ |[^,]*//g' /tmp/shlibs/depends \
      | tr ',' '\n' | tr -d ' ' | sort -u >/out/runtime-packages \
 && test -s /out/runtime-packages \
 && cat /out/runtime-packages

# --- kubectl: the cnpg provisioner applies Cluster and Pooler objects with it ------------
# The official static binary at a pinned version (within one minor version of the clusters
# it talks to), checked against its published SHA-256. Debian 12's kubectl is 1.20.
FROM ${DEBIAN_IMAGE} AS kubectl
ARG KUBECTL_VERSION=v1.31.4
ARG TARGETARCH
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends ca-certificates curl \
 && curl -fsSLo /kubectl "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${TARGETARCH:-amd64}/kubectl" \
 && echo "$(curl -fsSL "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${TARGETARCH:-amd64}/kubectl.sha256")  /kubectl" | sha256sum -c - \
 && chmod 0755 /kubectl

# --- runtime: binaries, migrations, their libraries; a non-root user ---------------------
FROM ${DEBIAN_IMAGE} AS runtime
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages /tmp/runtime-packages
# tini as PID 1 forwards SIGTERM to daap-worker and reaps the kubectl children it spawns;
# ca-certificates for sslrootcert=/etc/ssl/certs/ca-certificates.crt in DATABASE_URL; tzdata
# for periodic jobs' time zones (date/tz reads /usr/share/zoneinfo).
RUN apt-get update -q \
 && xargs -a /tmp/runtime-packages apt-get install -y -q --no-install-recommends tini ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages \
 && groupadd --system --gid 10001 daap \
 && useradd --system --uid 10001 --gid daap --home-dir /var/lib/daap --create-home \
      --shell /usr/sbin/nologin daap \
 && install -d -o daap -g daap -m 0700 /var/lib/daap/secrets
COPY --from=build /out/bin/ /usr/local/bin/
COPY --from=build /out/share/daap/ /usr/share/daap/
COPY --from=kubectl /kubectl /usr/local/bin/kubectl

# The binaries' compiled-in migrations path is the build stage's source tree.
ENV MIGRATIONS_DIR=/usr/share/daap/migrations \
    HTTP_ADDR=0.0.0.0:8080 \
    LOG_FORMAT=json \
    SECRETS_DIR=/var/lib/daap/secrets
# Numeric, so Kubernetes' runAsNonRoot can check it.
USER 10001:10001
WORKDIR /var/lib/daap
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["daap-worker"]
