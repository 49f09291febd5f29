# syntax=docker/dockerfile:1
# Multi-stage build: compile TypeScript with dev dependencies, ship only production dependencies and dist/.

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npx tsc -p tsconfig.build.json \
 && npx tsc --outDir dist/migrations --rootDir migrations --module node16 --moduleResolution node16 --target ES2022 \
      --experimentalDecorators --esModuleInterop --skipLibCheck migrations/*.ts

FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Production dependencies only; the embedded PostgreSQL binaries are not needed in containers.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

FROM node:22-bookworm-slim
ENV NODE_ENV=production LIPA_USE_DIST=true PORT=4000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY migrations/.snapshot-lipa.json ./migrations/.snapshot-lipa.json
COPY package.json ./
COPY bin ./bin
USER node
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=3s --retries=3 CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["node", "bin/lipa.js", "serve"]
