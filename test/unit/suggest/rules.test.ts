import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { applyEdits } from '../../../src/core/refactor';
import { analyzeDockerfile, type Finding, type RuleId } from '../../../src/core/suggest';

const ids = (text: string, opts: Parameters<typeof analyzeDockerfile>[1] = {}): RuleId[] => analyzeDockerfile(text, opts).map((f) => f.id);
const only = (text: string, id: RuleId, opts: Parameters<typeof analyzeDockerfile>[1] = {}): Finding[] => analyzeDockerfile(text, opts).filter((f) => f.id === id);

/** Applying a finding's fix must make that finding go away (for the same instruction). */
function assertFixResolves(text: string, f: Finding): string {
  assert.ok(f.fix, `${f.id} has no fix`);
  const out = applyEdits(text, f.fix.edits);
  assert.notEqual(out, text);
  const again = analyzeDockerfile(out).filter((g) => g.id === f.id && g.message === f.message);
  assert.deepEqual(again, [], `fix for ${f.id} did not resolve it:\n${out}`);
  return out;
}

const RUNTIME_OK = 'FROM python:3.12-slim\nRUN groupadd -r app && useradd -r -g app app\nUSER app\n';

describe('build-tools-in-final', () => {
  test('flags compilers and -dev headers installed in the final stage, with a split fix', () => {
    const text = 'FROM python:3.12\nWORKDIR /app\nRUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev && rm -rf /var/lib/apt/lists/*\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nUSER nobody\nCMD ["python","app.py"]\n';
    const [f] = only(text, 'build-tools-in-final');
    assert.ok(f);
    assert.equal(f.line, 3);
    assert.match(f.message, /gcc/);
    assert.match(f.message, /libpq-dev/);
    assert.equal(f.severity, 'warning');
    assert.ok(f.estimateBytes !== null && f.estimateBytes > 0);
    const out = assertFixResolves(text, f);
    assert.match(out, /AS builder/);
  });
  test('ignores build tools in a builder stage and install+remove in one RUN', () => {
    assert.deepEqual(only('FROM golang:1.22 AS b\nRUN apt-get install -y gcc\nFROM scratch\nCOPY --from=b /x /x\nUSER 1000\n', 'build-tools-in-final'), []);
    assert.deepEqual(only('FROM alpine:3.20\nRUN apk add --virtual .b gcc musl-dev && make && apk del .b\nUSER 1000\n', 'build-tools-in-final'), []);
    assert.deepEqual(only(RUNTIME_OK + 'RUN apt-get install -y --no-install-recommends curl\n', 'build-tools-in-final'), []);
  });
  test('follows FROM <stage> chains into the final image', () => {
    const text = 'FROM debian:bookworm-slim AS base\nRUN apt-get install -y --no-install-recommends build-essential\nFROM base\nUSER 1000\n';
    assert.equal(only(text, 'build-tools-in-final').length, 1);
  });
});

describe('dev-deps-in-final', () => {
  test('flags requirements-dev, test tools and npm install without --omit=dev', () => {
    assert.equal(only('FROM python:3.12-slim\nRUN pip install --no-cache-dir -r requirements.txt -r requirements-dev.txt\n', 'dev-deps-in-final').length, 1);
    assert.match(only('FROM python:3.12-slim\nRUN pip install --no-cache-dir flask pytest black\n', 'dev-deps-in-final')[0]!.message, /pytest, black/);
    assert.equal(only('FROM node:20-slim\nWORKDIR /app\nRUN npm ci\n', 'dev-deps-in-final').length, 1);
  });
  test('accepts production installs', () => {
    assert.deepEqual(only('FROM node:20-slim\nWORKDIR /app\nRUN npm ci --omit=dev\n', 'dev-deps-in-final'), []);
    assert.deepEqual(only('FROM node:20-slim\nENV NODE_ENV=production\nWORKDIR /app\nRUN npm ci\n', 'dev-deps-in-final'), []);
    assert.deepEqual(only('FROM node:20-slim\nWORKDIR /app\nRUN npm ci && npm run build\nRUN npm prune --omit=dev\n', 'dev-deps-in-final'), []);
    assert.deepEqual(only('FROM python:3.12-slim\nRUN pip install --no-cache-dir -r requirements.txt\n', 'dev-deps-in-final'), []);
    assert.deepEqual(only('FROM python:3.12 AS b\nRUN pip install -r requirements-dev.txt\nFROM python:3.12-slim\nCOPY --from=b /x /x\n', 'dev-deps-in-final'), []);
  });
});

describe('fat-base', () => {
  test('maps the final stage base to its slim equivalent, with an edit when no split applies', () => {
    const text = 'FROM python:3.12 AS b\nRUN true\nFROM python:3.12\nCOPY --from=b /x /x\nUSER 1000\n';
    const [f] = only(text, 'fat-base');
    assert.ok(f);
    assert.equal(f.line, 3);
    assert.match(f.message, /python:3\.12-slim/);
    const out = assertFixResolves(text, f);
    assert.match(out, /^FROM python:3\.12-slim$/m);
  });
  test('offers the split for a single-stage file', () => {
    const text = 'FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD ["python","app.py"]\n';
    const [f] = only(text, 'fat-base');
    assert.equal(f!.fix!.title, 'Split into a builder and a slim runtime stage');
  });
  test('keeps ${ARG} references when the slim tag is a suffix', () => {
    const text = 'ARG V=3.12\nFROM python:${V} AS b\nRUN true\nFROM python:${V}\nUSER 1\n';
    const [f] = only(text, 'fat-base');
    assert.match(applyEdits(text, f!.fix!.edits), /FROM python:\$\{V\}-slim\n/);
  });
  test('toolchain bases in the final stage', () => {
    assert.match(only('FROM golang:1.22\nRUN go build -o /app .\nUSER 1\nCMD ["/app"]\n', 'fat-base')[0]!.message, /toolchain golang:1\.22/);
  });
  test('no finding for slim, alpine, distroless, ubuntu or non-official images', () => {
    for (const img of ['python:3.12-slim', 'node:20-alpine', 'gcr.io/distroless/static-debian12', 'ubuntu:24.04', 'myorg/python:3.12', 'scratch', 'eclipse-temurin:21-jre']) {
      assert.deepEqual(only(`FROM ${img}\nUSER 1000\n`, 'fat-base'), [], img);
    }
  });
});

describe('pm-cache', () => {
  test('flags pip, apt, apk and npm caches with their hadolint codes, fixed by cache mounts', () => {
    const cases: [string, string | null][] = [
      ['RUN pip install -r requirements.txt', 'DL3042'],
      ['RUN apt-get update && apt-get install -y --no-install-recommends curl', 'DL3009'],
      ['RUN apk add curl', 'DL3019'],
      ['RUN yarn install --production', 'DL3060'],
      ['RUN npm ci --omit=dev', null],
    ];
    for (const [run, code] of cases) {
      const text = `FROM debian:bookworm-slim\nWORKDIR /app\n${run}\nUSER 1000\n`;
      const found = only(text, 'pm-cache');
      assert.equal(found.length, 1, run);
      assert.equal(found[0]!.hadolint, code, run);
      const out = assertFixResolves(text, found[0]!);
      assert.match(out, /RUN --mount=type=cache,target=/);
      assert.doesNotMatch(out, /# syntax=/);
    }
  });
  test('without BuildKit the fix cleans up in the same RUN', () => {
    const text = 'FROM python:3.12-slim\nRUN pip install -r requirements.txt\nRUN apk add curl\nRUN apt-get update && apt-get install -y --no-install-recommends curl\nUSER 1\n';
    for (const f of only(text, 'pm-cache', { buildkit: false })) {
      const out = applyEdits(text, f.fix!.edits);
      assert.deepEqual(analyzeDockerfile(out, { buildkit: false }).filter((g) => g.id === 'pm-cache' && g.line === f.line && g.message === f.message), []);
    }
    const out = applyEdits(text, only(text, 'pm-cache', { buildkit: false }).flatMap((f) => f.fix!.edits));
    assert.match(out, /pip install --no-cache-dir -r/);
    assert.match(out, /apk add --no-cache curl/);
    assert.match(out, /curl && rm -rf \/var\/lib\/apt\/lists\/\*/);
  });
  test('no finding when the cache is mounted, disabled or cleaned', () => {
    for (const run of [
      'RUN --mount=type=cache,target=/root/.cache/pip pip install -r r.txt',
      'RUN pip install --no-cache-dir -r r.txt',
      'RUN apk add --no-cache curl',
      'RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*',
      'RUN --mount=type=cache,target=/var/cache/apt --mount=type=cache,target=/var/lib/apt apt-get update && apt-get install -y --no-install-recommends curl',
    ]) assert.deepEqual(only(`FROM debian:bookworm-slim\n${run}\nUSER 1\n`, 'pm-cache'), [], run);
  });
  test('builder stages are not flagged (their layers do not ship)', () => {
    assert.deepEqual(only('FROM python:3.12 AS b\nRUN pip install -r r.txt\nFROM python:3.12-slim\nCOPY --from=b /x /x\nUSER 1\n', 'pm-cache'), []);
  });
});

describe('apt-no-recommends', () => {
  test('flags and fixes apt-get install without --no-install-recommends', () => {
    const text = 'FROM debian:bookworm-slim\nRUN apt-get update \\\n && apt-get install -y curl \\\n && rm -rf /var/lib/apt/lists/*\nUSER 1\n';
    const [f] = only(text, 'apt-no-recommends');
    assert.equal(f!.hadolint, 'DL3015');
    const out = assertFixResolves(text, f!);
    assert.match(out, /apt-get install --no-install-recommends -y curl/);
  });
  test('accepts --no-install-recommends and the apt config equivalent', () => {
    assert.deepEqual(only('FROM debian:bookworm-slim\nRUN apt-get install -y --no-install-recommends curl\nUSER 1\n', 'apt-no-recommends'), []);
    assert.deepEqual(only('FROM debian:bookworm-slim\nRUN apt-get install -y -o APT::Install-Recommends=false curl\nUSER 1\n', 'apt-no-recommends'), []);
  });
});

describe('deleted-later', () => {
  test('flags a file removed in a later layer and measures the creating layer', () => {
    const text = 'FROM debian:bookworm-slim\nWORKDIR /tmp\nCOPY big.tar.gz /tmp/big.tar.gz\nRUN tar xzf big.tar.gz -C /opt\nRUN rm /tmp/big.tar.gz\nUSER 1\n';
    const [f] = only(text, 'deleted-later');
    assert.ok(f);
    assert.equal(f.line, 5);
    assert.match(f.message, /written by line 3/);
  });
  test('apt lists removed after the update layer', () => {
    const text = 'FROM debian:bookworm-slim\nRUN apt-get update\nRUN apt-get install -y --no-install-recommends curl\nRUN rm -rf /var/lib/apt/lists/*\nUSER 1\n';
    assert.match(only(text, 'deleted-later')[0]!.message, /line 2/);
  });
  test('no finding when creation and removal share a RUN', () => {
    assert.deepEqual(only('FROM debian:bookworm-slim\nRUN curl -o /tmp/x.tgz https://e.x/x.tgz && tar xzf /tmp/x.tgz && rm /tmp/x.tgz\nUSER 1\n', 'deleted-later'), []);
    assert.deepEqual(only('FROM debian:bookworm-slim\nRUN rm -rf /etc/motd\nUSER 1\n', 'deleted-later'), []);
  });
});

describe('copy-before-deps', () => {
  test('flags COPY . . before the dependency install', () => {
    const [f] = only('FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nUSER node\n', 'copy-before-deps');
    assert.equal(f!.line, 3);
    assert.match(f!.message, /line 4/);
    assert.equal(only('FROM python:3.12-slim\nCOPY . /app\nRUN pip install --no-cache-dir -r /app/requirements.txt\nUSER 1\n', 'copy-before-deps').length, 1);
  });
  test('no finding when manifests come first', () => {
    assert.deepEqual(only('FROM node:20-slim\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci --omit=dev\nCOPY . .\nRUN npm run build\nUSER node\n', 'copy-before-deps'), []);
  });
});

describe('root-user', () => {
  test('flags a final stage without USER and one that ends as root; fix adds a user', () => {
    const text = 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD ["python","app.py"]\n';
    const [f] = only(text, 'root-user');
    assert.equal(f!.hadolint, null, 'hadolint DL3002 is only about an explicit USER root');
    const out = assertFixResolves(text, f!);
    assert.match(out, /RUN groupadd -r appuser && useradd -r -g appuser appuser\nUSER appuser\nCMD/);
    assert.equal(only('FROM debian:bookworm-slim\nUSER app\nRUN x\nUSER root\n', 'root-user').length, 1);
  });
  test('alpine uses addgroup/adduser, busybox gets passwd entries; distroless uses its nonroot user', () => {
    assert.match(applyEdits('FROM alpine:3.20\nCOPY a /a\n', only('FROM alpine:3.20\nCOPY a /a\n', 'root-user')[0]!.fix!.edits), /addgroup -S appuser && adduser -S -G appuser appuser/);
    const bb = 'FROM fixture/busybox:latest\nCOPY app /app\nCMD ["/app"]\n'; // an application, not a bare base
    assert.match(applyEdits(bb, only(bb, 'root-user')[0]!.fix!.edits), />> \/etc\/passwd/);
    const d = 'FROM gcr.io/distroless/static-debian12:latest\nCOPY app /app\n';
    assert.match(applyEdits(d, only(d, 'root-user')[0]!.fix!.edits), /USER nonroot:nonroot/);
  });
  test('no finding when the final stage switches to a user, also through a base stage', () => {
    assert.deepEqual(only('FROM debian:bookworm-slim\nUSER 1000:1000\n', 'root-user'), []);
    assert.deepEqual(only('FROM debian:bookworm-slim AS base\nUSER app\nFROM base\nCMD ["x"]\n', 'root-user'), []);
    assert.deepEqual(only('FROM debian:bookworm-slim AS b\nFROM debian:bookworm-slim\nUSER app\n', 'root-user'), []);
  });
});

describe('add-local', () => {
  test('flags ADD of local files and fixes it to COPY', () => {
    const text = 'FROM debian:bookworm-slim\nADD app.py /app/\nUSER 1\n';
    const [f] = only(text, 'add-local');
    assert.equal(f!.hadolint, 'DL3020');
    assert.match(assertFixResolves(text, f!), /^COPY app\.py \/app\/$/m);
  });
  test('no finding for URLs and archives', () => {
    assert.deepEqual(only('FROM debian:bookworm-slim\nADD https://example.com/x.txt /x\nADD rootfs.tar.gz /\nUSER 1\n', 'add-local'), []);
  });
});

describe('untagged-base', () => {
  test('DL3006 for no tag, DL3007 for latest', () => {
    assert.equal(only('FROM debian\nUSER 1\n', 'untagged-base')[0]!.hadolint, 'DL3006');
    assert.equal(only('FROM debian:latest\nUSER 1\n', 'untagged-base')[0]!.hadolint, 'DL3007');
  });
  test('no finding for tags, digests, scratch, stage references and ARG bases', () => {
    assert.deepEqual(only('FROM debian:bookworm AS a\nFROM a\nFROM scratch\nFROM alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\nARG X\nUSER 1\n', 'untagged-base'), []);
    assert.deepEqual(only('ARG IMG=debian:bookworm\nFROM ${IMG}\nUSER 1\n', 'untagged-base'), []);
  });
});

describe('consecutive-run', () => {
  test('flags and merges consecutive RUNs', () => {
    const text = 'FROM debian:bookworm-slim\nRUN mkdir /a\nRUN touch /a/b\nRUN chmod 600 /a/b\nUSER 1\n';
    const [f] = only(text, 'consecutive-run');
    assert.equal(f!.hadolint, 'DL3059');
    assert.equal(f!.line, 2);
    assert.equal(f!.endLine, 4);
    const out = assertFixResolves(text, f!);
    assert.match(out, /RUN mkdir \/a \\\n {4}&& touch \/a\/b \\\n {4}&& chmod 600 \/a\/b\n/);
  });
  test('no finding for RUNs separated by other instructions or with different mounts', () => {
    assert.deepEqual(only('FROM debian:bookworm-slim\nRUN a\nENV X=1\nRUN b\nUSER 1\n', 'consecutive-run'), []);
    assert.deepEqual(only('FROM debian:bookworm-slim\nRUN --mount=type=cache,target=/x a\nRUN b\nUSER 1\n', 'consecutive-run'), []);
  });
});

describe('no-dockerignore', () => {
  const ctx = (has: boolean): Parameters<typeof analyzeDockerfile>[1] => ({ contextFiles: { hasDockerignore: has, entries: [
    { name: '.git', bytes: 40_000_000, directory: true }, { name: '.env', bytes: 120, directory: false }, { name: 'app.py', bytes: 900, directory: false },
  ] } });
  test('flags heavy and secret-looking paths when there is no .dockerignore', () => {
    const [f] = only('FROM python:3.12-slim\nCOPY . .\nUSER 1\n', 'no-dockerignore', ctx(false));
    assert.match(f!.message, /\.git, \.env/);
    assert.doesNotMatch(f!.message, /app\.py/);
    assert.equal(f!.estimateBytes, 40_000_120);
    assert.equal(f!.line, 2);
  });
  test('no finding with a .dockerignore or without context information', () => {
    assert.deepEqual(only('FROM python:3.12-slim\nCOPY . .\nUSER 1\n', 'no-dockerignore', ctx(true)), []);
    assert.deepEqual(only('FROM python:3.12-slim\nCOPY . .\nUSER 1\n', 'no-dockerignore'), []);
  });
});

describe('options', () => {
  test('disabledRules takes rule ids and hadolint codes', () => {
    const text = 'FROM debian\nRUN apt-get install -y curl\nCMD ["curl"]\n';
    assert.ok(ids(text).includes('untagged-base'));
    assert.ok(!ids(text, { disabledRules: ['untagged-base'] }).includes('untagged-base'));
    assert.ok(!ids(text, { disabledRules: ['DL3015'] }).includes('apt-no-recommends'));
    assert.ok(ids(text, { disabledRules: ['DL3015'] }).includes('root-user'));
  });
  test('never throws on text that is not a Dockerfile', () => {
    assert.deepEqual(analyzeDockerfile(''), []);
    assert.deepEqual(analyzeDockerfile('hello world'), []);
    assert.doesNotThrow(() => analyzeDockerfile('FROM\nRUN\nCOPY\nADD\nUSER\n'));
  });
});
