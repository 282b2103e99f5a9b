# syntax=docker/dockerfile:1
# The production image of Seams: the single binary (npm run build:binary, docs/deploy.md) on a minimal Debian.
# Build: docker build --build-arg SEAMS_COMMIT=$(git rev-parse --short=12 HEAD) -t seams .
# Run:   docker run -p 3000:3000 -e DATABASE_URL=postgres://… -e JWT_SECRET=… seams
#        (without DATABASE_URL it runs its embedded PostgreSQL, with the data in the volume /var/lib/seams)
#
# The first stage builds the binary with the Node it will carry; the second holds only that file. No Node, no npm and
# no node_modules in the image: the binary is the Node runtime, the bundled app, the migrations and PostgreSQL.

# The Node major that CI tests with (.nvmrc, scripts/node24.sh): the binary carries this very Node.
ARG NODE_IMAGE=node:24-bookworm-slim
# glibc, libstdc++ and /bin/sh (pg_ctl starts the server through it) are all the binary needs from the system.
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Dev dependencies too: esbuild and postject build the binary. The PostgreSQL package's install script restores its
# library links (package.json's allowScripts).
RUN npm ci --no-audit --no-fund
COPY scripts ./scripts
COPY src ./src
COPY modules ./modules
COPY migrations ./migrations
COPY console ./console
# There is no .git in the build context: the commit for `seams --version` comes as a build argument.
ARG SEAMS_COMMIT=unknown
RUN SEAMS_COMMIT=${SEAMS_COMMIT} node scripts/build-binary.ts

FROM ${RUNTIME_IMAGE} AS runtime
# An unprivileged user that owns only its data and cache folder; the binary itself belongs to root.
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/seams --create-home --shell /usr/sbin/nologin seams
COPY --from=build /src/dist/seams-linux-x64 /usr/local/bin/seams
ENV HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/var/lib/seams/data \
    CACHE_DIR=/var/lib/seams/cache
USER seams
WORKDIR /var/lib/seams
VOLUME ["/var/lib/seams"]
EXPOSE 3000
# Ready means every module's database answers; the binary asks itself (`seams health`), as there is no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["seams", "health"]
# The binary is PID 1 and handles SIGTERM itself (graceful shutdown in src/cli/serve.ts), with no shell in between.
STOPSIGNAL SIGTERM
ENTRYPOINT ["seams"]
CMD ["serve"]
