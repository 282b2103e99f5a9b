# syntax=docker/dockerfile:1
# The production image of Seams. Build: docker build -t seams .
# Run:   docker run -p 3000:3000 -e DATABASE_URL=postgres://… -e JWT_SECRET=… seams
#
# Node runs the TypeScript sources directly (type stripping), so there is no build step: the first stage installs the
# production dependencies, the second copies them and the sources into a clean image. The embedded PostgreSQL is left
# out (it is an optional dependency of a development convenience): the container needs DATABASE_URL.

# The Node major that CI tests with (.nvmrc, scripts/node24.sh).
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional drops the embedded PostgreSQL binaries; no install scripts are needed without them.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
# Owned by root and not writable by the app's user: the app writes nothing to its own folder.
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY modules ./modules
COPY migrations ./migrations
# The unprivileged user of the official Node image (uid 1000).
USER node
EXPOSE 3000
# Ready means every module's database answers; curl is not in the slim image, so node asks.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# What `npm start` runs (keep the two alike), without npm: node itself is PID 1 and handles SIGTERM (graceful shutdown
# in src/main.ts), with no npm or shell in between. src/telemetry.ts must load first, so OpenTelemetry can patch.
STOPSIGNAL SIGTERM
CMD ["node", "--import", "./src/telemetry.ts", "src/main.ts"]
