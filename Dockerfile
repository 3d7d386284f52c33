# syntax=docker/dockerfile:1
# Keel, the reliability gateway for LLM APIs, as a container image.
#
#   docker build -t keel .
#   docker run -p 8787:8787 -v "$PWD/keel.yaml:/etc/keel/keel.yaml:ro" -e KEEL_CONFIG=/etc/keel/keel.yaml keel
#
# Two stages: the build stage compiles TypeScript and better-sqlite3's native addon (hence python3, make
# and g++ when no prebuilt binary matches); the runtime stage gets only the compiled output and the
# production dependencies, on the same Debian release so the addon links against the same glibc.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first: this layer is reused until package.json or the lockfile changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# The code is owned by root and read-only to the service user; the directory itself is the service
# user's, so the default SQLite file (./keel.db) can be created in it when no PostgreSQL is configured.
# With several replicas, configure PostgreSQL instead (see deploy/kubernetes).
RUN chown node:node /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Built-in drill scenarios, read at run time by `keel drill`.
COPY scenarios ./scenarios
# Numeric uid:gid (the image's `node` user), so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8787
# /healthz answers 200 while serving and 503 while draining. Node 20 has fetch, and the slim image has
# no curl. The port is the one in CMD; change both together.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8787/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node runs as PID 1 and Keel handles SIGTERM itself (drains in-flight requests, then exits).
# Binding 0.0.0.0 is what a container needs, but Keel refuses a non-loopback address without virtual keys
# unless told the gateway is meant to be open: set `server.allow_open: true` in keel.yaml (an `--allow-open`
# flag for `keel serve` is being added) or configure virtual keys.
CMD ["node", "dist/cli/keel.js", "serve", "--host", "0.0.0.0"]
