# Accord node image. Sources are TypeScript run through tsx (a runtime dependency), so there is no
# build stage: install production dependencies, copy the sources, run `accord <command>`.
#   docker build -t accord .
#   docker run -e ACCORD_MASTER_KEY="$(openssl rand -base64 32)" -p 8080:8080 accord            # embedded PGlite
#   docker run ... -e DATABASE_URL=postgres://... -e REDIS_URL=redis://... accord start --no-worker
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    ACCORD_DATA_DIR=/app/data

WORKDIR /app

# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Sources stay owned by root (read-only for the node user); only the data folder is writable. It holds
# the embedded database and master.key when no DATABASE_URL / ACCORD_MASTER_KEY is given: mount a
# volume there to keep them.
COPY . .
RUN mkdir -p /app/data && chown node:node /app/data

USER node
EXPOSE 8080

# Liveness of the HTTP API (`accord worker` serves no HTTP: disable this check for worker containers).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "bin/accord.js"]
CMD ["start"]
