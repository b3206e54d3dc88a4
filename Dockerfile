# syntax=docker/dockerfile:1.7
#
# The image of one service, chosen by the SERVICE build argument. Build from the repository root
# (the context must hold the lock file and the shared workspaces):
#
#   docker buildx build --platform linux/arm64 --build-arg SERVICE=api    -t <registry>/memberships-api:<git sha> .
#   docker buildx build --platform linux/arm64 --build-arg SERVICE=worker -t <registry>/memberships-worker:<git sha> .
#
# Stages:
#   manifests       the package.json files, cut down to the service (docker/image-workspace.mjs):
#                   workspaces = core + the service, their devDependencies dropped (they name
#                   test-only workspaces such as the local platform). Only this stage sees the
#                   sources' churn; its output changes only with a manifest, so the install
#                   layers below stay cached.
#   build           root devDependencies (typescript, @types/*) + production dependencies, then
#                   `tsc --build services/<service>/tsconfig.build.json`, the checked-in build
#                   config the repository builds with too: core and the service without their
#                   tests and test helpers (nor the worker's benchmark).
#   deps            production dependencies only.
#   runtime         non-root; dist + production node_modules, nothing else.
#   runtime-api     the API's port, liveness check and command.
#   runtime-worker  the worker's command. No HEALTHCHECK: ECS ignores it. The task definition's
#                   container health check runs `node services/worker/dist/health-check.js`, which
#                   passes while the SQS consumer keeps polling (its heartbeat file is fresh);
#                   when it fails or the process exits, ECS starts a replacement. The same image
#                   runs the one-off migrate task (`node services/worker/dist/migrate.js`). On
#                   SIGTERM it stops receiving, finishes or releases the job in hand and exits
#                   (the task definition gives it 120 s, Fargate's maximum).
#   image           runtime-api or runtime-worker, by SERVICE (an unknown SERVICE fails the build).
#
# Why `npm install` from the lock file instead of `npm ci --omit=dev --workspace=...`:
# npm still installs a workspace's devDependencies when they are other workspaces
# (npm/cli#6670), which would ship the local platform and its emulators. `npm ci` refuses
# the cut-down manifests, `npm install` keeps every version the lock file pins (the
# packages are the lock file's, only the test-only ones are left out).

# The same Node.js release the tests run on: the root package.json's `node` devDependency
# (test/src/runtime.unit.test.ts fails when the two drift).
ARG NODE_IMAGE=node:26.10.0-trixie-slim
# api or worker: the workspace services/<SERVICE> and the runtime-<SERVICE> stage the image ends with.
ARG SERVICE

FROM ${NODE_IMAGE} AS manifests
ARG SERVICE
WORKDIR /src
COPY . .
RUN node docker/image-workspace.mjs manifests "${SERVICE}" /src /manifests

FROM ${NODE_IMAGE} AS build
ARG SERVICE
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm install --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json tsconfig.build.base.json ./
COPY docker/image-workspace.mjs docker/
COPY packages/core/ packages/core/
COPY services/${SERVICE}/ services/${SERVICE}/
# Production code only: the test code's imports (the local platform) are neither installed nor shipped.
RUN npx tsc --build "services/${SERVICE}/tsconfig.build.json" \
 && node docker/image-workspace.mjs check-dist "${SERVICE}" /app

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm install --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production
WORKDIR /app
# Amazon RDS CA bundle: DATABASE_URL uses sslmode=verify-full with sslrootcert pointing here.
ADD --chmod=644 https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem /etc/ssl/certs/rds-global-bundle.pem
# Owned by root, not writable by the process: the code cannot be changed at run time.
COPY --from=deps /app/package.json ./
COPY --from=deps /app/node_modules/ node_modules/
COPY --from=deps /app/packages/core/ packages/core/
COPY --from=deps /app/services/${SERVICE}/ services/${SERVICE}/
COPY --from=build /app/packages/core/dist/ packages/core/dist/
COPY --from=build /app/services/${SERVICE}/dist/ services/${SERVICE}/dist/
USER node

FROM runtime AS runtime-api
EXPOSE 3000
# Liveness only (no dependencies); on ECS the task definition runs the same check.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "services/api/dist/server.js"]

FROM runtime AS runtime-worker
# The V8 flags of services/worker/src/node-flags.ts (a test keeps the two the same).
CMD ["node", "--max-semi-space-size=8", "services/worker/dist/main.js"]

FROM runtime-${SERVICE} AS image
