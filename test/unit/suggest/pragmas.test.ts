import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { analyzeDockerfile } from '../../../src/core/suggest';

const BAD = 'RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*';

test('# hadolint ignore= on the line before an instruction suppresses the equivalent finding there only', () => {
  const text = `FROM debian:bookworm-slim\n# hadolint ignore=DL3008,DL3015\n${BAD}\n${BAD}\nUSER 1\n`;
  const lines = analyzeDockerfile(text).filter((f) => f.id === 'apt-no-recommends').map((f) => f.line);
  assert.deepEqual(lines, [4]);
});

test('the pragma reaches across further comment lines', () => {
  const text = `FROM debian:bookworm-slim\n# hadolint ignore=DL3015\n# install curl for the healthcheck\n${BAD}\nUSER 1\n`;
  assert.deepEqual(analyzeDockerfile(text).filter((f) => f.id === 'apt-no-recommends'), []);
});

test('# hadolint global ignore= suppresses everywhere', () => {
  const text = `# hadolint global ignore=DL3015,DL3002\nFROM debian:bookworm-slim\n${BAD}\n${BAD}\nUSER root\n`;
  const ids = analyzeDockerfile(text).map((f) => f.id);
  assert.ok(!ids.includes('apt-no-recommends'));
  assert.ok(!ids.includes('root-user'), 'an explicit USER root is DL3002');
});

test('# stagelens ignore=<id> and global form', () => {
  const text = `FROM debian:bookworm-slim\n# stagelens ignore=consecutive-run\nRUN a\nRUN b\nUSER 1\n`;
  assert.deepEqual(analyzeDockerfile(text).filter((f) => f.id === 'consecutive-run'), []);
  const g = `# stagelens global ignore=root-user\nFROM debian:bookworm-slim\nRUN a\n`;
  assert.deepEqual(analyzeDockerfile(g).filter((f) => f.id === 'root-user'), []);
});

test('a pragma for another code does not suppress', () => {
  const text = `FROM debian:bookworm-slim\n# hadolint ignore=DL3008\n${BAD}\nUSER 1\n`;
  assert.equal(analyzeDockerfile(text).filter((f) => f.id === 'apt-no-recommends').length, 1);
});
