// Findings that must hold on real Dockerfiles (issue 15). Each Dockerfile here is a minimal
// reproducer, written for this test, of a pattern seen in public Dockerfiles.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { applyEdits } from '../../../src/core/refactor/edits';
import { analyzeDockerfile } from '../../../src/core/suggest';
import type { Finding } from '../../../src/core/suggest/types';

const only = (text: string, id: string): Finding[] => analyzeDockerfile(text).filter((f) => f.id === id);

describe('root-user: hadolint parity and kinds of image', () => {
  test('DL3002 only on an explicit USER root as the last USER', () => {
    const [explicit] = only('FROM python:3.12-slim\nUSER app\nRUN x\nUSER root\nCMD ["python"]\n', 'root-user');
    assert.equal(explicit!.hadolint, 'DL3002');
    const [none] = only('FROM python:3.12-slim\nCOPY app.py .\nCMD ["python","app.py"]\n', 'root-user');
    assert.equal(none!.hadolint, null);
    assert.match(none!.message, /no USER/);
  });
  test('no "no USER" finding on Windows images', () => {
    assert.deepEqual(only('FROM mcr.microsoft.com/dotnet/aspnet:8.0-nanoserver-ltsc2022\nCOPY app/ /app\nENTRYPOINT ["dotnet","app.dll"]\n', 'root-user'), []);
    assert.deepEqual(only('# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nSHELL ["powershell", "-Command"]\nRUN Write-Host hi\nCMD ["app.exe"]\n', 'root-user'), []);
  });
  test('no "no USER" finding on ONBUILD templates, base images, privilege-dropping entrypoints, port-80 servers, non-root bases', () => {
    assert.deepEqual(only('FROM python:3.12\nWORKDIR /usr/src/app\nONBUILD COPY . /usr/src/app\nONBUILD RUN pip install -r requirements.txt\n', 'root-user'), []);
    const base = 'FROM debian:bookworm-slim\nENV FOO_VERSION=1.2.3\nRUN apt-get update && apt-get install -y --no-install-recommends gcc make && rm -rf /var/lib/apt/lists/*\nCMD ["foo"]\n';
    assert.deepEqual(only(base, 'root-user'), []);
    assert.deepEqual(only(base, 'build-tools-in-final'), [], 'a toolchain base ships its compilers on purpose');
    assert.deepEqual(only('FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends gosu && rm -rf /var/lib/apt/lists/*\nCOPY entrypoint.sh /\nENTRYPOINT ["/entrypoint.sh"]\n', 'root-user'), []);
    assert.deepEqual(only('FROM alpine:3.20\nRUN apk add --no-cache su-exec\nCOPY app /app\nENTRYPOINT ["su-exec","nobody","/app"]\n', 'root-user'), []);
    assert.deepEqual(only('FROM php:8.3-apache\nCOPY src/ /var/www/html/\n', 'root-user'), []);
    assert.deepEqual(only('FROM alpine:3.20\nRUN apk add --no-network --virtual .rundeps libffi\nUSER 1\n', 'pm-cache'), [], 'apk --no-network fetches no index');
    assert.deepEqual(only('FROM golang:1.22 AS b\nRUN go build -o /app .\nFROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=b /app /app\nCMD ["/app"]\n', 'root-user'), []);
  });
  test('an application that EXPOSEs port 80 as root is flagged without the USER fix that would break the bind', () => {
    const [f] = only('FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nEXPOSE 80\nCMD ["gunicorn","-b","0.0.0.0:80","app:app"]\n', 'root-user');
    assert.match(f!.message, /port 80.*≥ 1024/);
    assert.equal(f!.fix, undefined);
  });
  test('a plain application image without USER is still flagged, with a fix', () => {
    const text = 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nCMD ["node","server.js"]\n';
    const [f] = only(text, 'root-user');
    assert.ok(f?.fix);
    // Official node images ship a `node` user: the fix uses it instead of creating one.
    assert.match(applyEdits(text, f.fix.edits), /USER node/);
    const [g] = only('FROM debian:bookworm-slim\nWORKDIR /app\nCOPY . .\nCMD ["./run"]\n', 'root-user');
    assert.match(applyEdits('FROM debian:bookworm-slim\nWORKDIR /app\nCOPY . .\nCMD ["./run"]\n', g!.fix!.edits), /useradd[^\n]*appuser[\s\S]*USER appuser/);
  });
});

describe('pm-cache', () => {
  test('apt-get dist-clean and pip --no-cache keep the cache out', () => {
    assert.deepEqual(only('FROM debian:trixie-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl && apt-get dist-clean\nUSER 1\n', 'pm-cache'), []);
    assert.deepEqual(only('FROM python:3.12-slim\nRUN pip install --no-cache flask\nUSER 1\n', 'pm-cache'), []);
  });
  test('pip, yarn and npm caches under a non-root USER are flagged (they land in its home), without a root cache mount', () => {
    const pip = only('FROM python:3.12-slim\nUSER app\nRUN pip install --user flask\n', 'pm-cache');
    assert.equal(pip.length, 1);
    assert.equal(pip[0]!.hadolint, 'DL3042');
    assert.match(pip[0]!.message, /home of USER app/);
    assert.doesNotMatch(JSON.stringify(pip[0]!.fix?.edits ?? []), /\/root\/\.cache/);
    const yarn = only('FROM node:20-slim\nUSER node\nWORKDIR /home/node/app\nRUN yarn install --frozen-lockfile\n', 'pm-cache');
    assert.equal(yarn[0]?.hadolint, 'DL3060');
    assert.equal(only('FROM node:20-slim\nUSER node\nRUN npm ci --omit=dev\n', 'pm-cache').length, 1);
  });
  test('poetry, bun, bundler, npm -g and yarn global are caches too; a version probe is not', () => {
    const poetry = 'FROM python:3.12-slim\nRUN poetry install --only main\nUSER 1\n';
    const [p] = only(poetry, 'pm-cache');
    assert.equal(p?.message.startsWith('poetry'), true);
    assert.match(applyEdits(poetry, p!.fix!.edits), /poetry install --no-cache --only main/);
    assert.match(only('FROM oven/bun:1\nRUN bun install --frozen-lockfile\nUSER bun\n', 'pm-cache')[0]?.message ?? '', /^bun/);
    assert.match(only('FROM ruby:3.3-slim\nRUN bundle install\nUSER 1\n', 'pm-cache')[0]?.message ?? '', /^bundler/);
    assert.match(only('FROM node:20-slim\nRUN npm install -g pm2\nUSER node\n', 'pm-cache')[0]?.message ?? '', /^npm/);
    assert.match(only('FROM node:20-slim\nRUN yarn global add serve\nUSER node\n', 'pm-cache')[0]?.message ?? '', /^yarn/);
    assert.deepEqual(only('FROM node:20-slim\nRUN yarn --version\nUSER node\n', 'pm-cache'), []);
    assert.deepEqual(only('FROM ruby:3.3-slim\nRUN bundle install --no-cache\nUSER 1\n', 'pm-cache'), []);
  });
});

describe('deleted-later: what a layer writes', () => {
  test('apt-get update … && rm -rf /var/lib/apt/lists/* in two RUNs is not waste', () => {
    const text = 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n'
      + 'RUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/*\nUSER 1\n';
    assert.deepEqual(only(text, 'deleted-later'), []);
  });
  test('COPY . . then a later rm -rf of a directory is waste', () => {
    const [f] = only('FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN rm -rf docs\nUSER node\n', 'deleted-later');
    assert.match(f!.message, /\/app\/docs .*line 3/);
  });
  test('apk add git then a later apk del git is waste', () => {
    const [f] = only('FROM alpine:3.20\nRUN apk add --no-cache git\nRUN git --version\nRUN apk del git\nUSER 1\n', 'deleted-later');
    assert.match(f!.message, /package git .*line 2/);
    assert.deepEqual(only('FROM alpine:3.20\nRUN apk add --no-cache --virtual .b git && make && apk del .b\nUSER 1\n', 'deleted-later'), []);
  });
  test('a recursive chown in a later layer over copied files duplicates them', () => {
    const [f] = only('FROM python:3.12-slim\nCOPY . /app\nRUN useradd app && chown -R app:app /app\nUSER app\n', 'deleted-later');
    assert.match(f!.message, /chown.*line 2/);
    assert.deepEqual(only('FROM python:3.12-slim\nRUN mkdir /data && chown -R 1000 /data\nUSER 1000\n', 'deleted-later'), []);
  });
  test('a path the earlier command only mentions is not something it wrote', () => {
    assert.deepEqual(only('FROM debian:bookworm-slim\nRUN echo /opt/cache > /etc/where\nRUN rm -rf /opt/cache\nUSER 1\n', 'deleted-later'), []);
  });
});

describe('variables', () => {
  test('ARG defaults reach ENV: ARG NODE_ENV=production + ENV NODE_ENV $NODE_ENV is production', () => {
    assert.deepEqual(only('FROM node:20-slim\nARG NODE_ENV=production\nENV NODE_ENV $NODE_ENV\nWORKDIR /app\nRUN npm ci\nUSER node\n', 'dev-deps-in-final'), []);
    assert.deepEqual(only('ARG NODE_ENV=production\nFROM node:20-slim\nARG NODE_ENV\nENV NODE_ENV=${NODE_ENV}\nRUN npm ci\nUSER node\n', 'dev-deps-in-final'), []);
    assert.equal(only('FROM node:20-slim\nARG NODE_ENV=development\nENV NODE_ENV $NODE_ENV\nRUN npm ci\nUSER node\n', 'dev-deps-in-final').length, 1);
  });
  test('FROM binary-$TARGETOS names a stage, not an untagged image', () => {
    const text = 'FROM golang:1.22 AS binary-linux\nUSER 1000\nFROM golang:1.22 AS binary-windows\nUSER 1000\nFROM binary-$TARGETOS\nCMD ["/app"]\n';
    assert.deepEqual(only(text, 'untagged-base'), []);
    assert.deepEqual(only(text, 'root-user'), []);
  });
});
