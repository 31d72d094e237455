# Interference gateway image: builds the monorepo and runs the one-port server.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip ca-certificates \
  && rm -rf /var/lib/apt/lists/* && npm install -g pnpm@12.21.0
WORKDIR /app
COPY . .
RUN PIP_BREAK_SYSTEM_PACKAGES=1 scripts/setup.sh
ENV NODE_ENV=production PORT=1337 HOST=0.0.0.0
EXPOSE 1337
CMD ["pnpm", "start"]
