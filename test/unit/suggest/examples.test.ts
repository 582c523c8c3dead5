// No false positives on well-built multi-stage Dockerfiles; the seed's single-stage one gets
// the findings the seed describes.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeDockerfile } from '../../../src/core/suggest';

const examples = join(__dirname, '..', '..', '..', 'examples');
const read = (p: string): string => readFileSync(p, 'utf8');

test('own copy of the advanced Dockerfile: no findings', () => {
  assert.deepEqual(analyzeDockerfile(read(join(__dirname, 'fixtures', 'advanced.Dockerfile'))), []);
});

test('examples/Dockerfile.advanced: no findings', { skip: !existsSync(join(examples, 'Dockerfile.advanced')) }, () => {
  assert.deepEqual(analyzeDockerfile(read(join(examples, 'Dockerfile.advanced'))), []);
});

test('examples/Dockerfile: only the missing non-root user', { skip: !existsSync(join(examples, 'Dockerfile')) }, () => {
  assert.deepEqual(analyzeDockerfile(read(join(examples, 'Dockerfile'))).map((f) => f.id), ['root-user']);
});

test('examples/Dockerfile.single-stage: the seed\'s problems', { skip: !existsSync(join(examples, 'Dockerfile.single-stage')) }, () => {
  const ids = new Set(analyzeDockerfile(read(join(examples, 'Dockerfile.single-stage'))).map((f) => f.id));
  for (const id of ['fat-base', 'build-tools-in-final', 'dev-deps-in-final', 'pm-cache', 'apt-no-recommends', 'root-user'] as const) assert.ok(ids.has(id), id);
});

test('a well-built Go and Node multi-stage file: no findings', () => {
  const go = `FROM golang:1.22 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build --mount=type=cache,target=/go/pkg/mod CGO_ENABLED=0 go build -o /out/app .
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/app /app
USER nonroot:nonroot
ENTRYPOINT ["/app"]
`;
  const node = `FROM node:20 AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci
COPY . .
RUN npm run build && npm prune --omit=dev
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
USER node
CMD ["node", "dist/server.js"]
`;
  assert.deepEqual(analyzeDockerfile(go), []);
  assert.deepEqual(analyzeDockerfile(node), []);
});
