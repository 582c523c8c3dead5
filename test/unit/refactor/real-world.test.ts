// Minimal reproducers of the patterns that broke rewrites on public Dockerfiles (issue 15): each
// is a Dockerfile written for this test, named after the pattern it stands for.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { parseDockerfile } from '../../../src/core/dockerfile/parse';
import { refactorToMultiStage } from '../../../src/core/refactor';
import { ensureStageUsers } from '../../../src/core/refactor/user';
import { applyEdits } from '../../../src/core/refactor/edits';

const lastStage = (text: string): string => {
  const df = parseDockerfile(text);
  const st = df.stages[df.stages.length - 1]!;
  return text.split('\n').slice(st.line - 1).join('\n');
};
const stageText = (text: string, name: string): string => {
  const df = parseDockerfile(text);
  const st = df.stages.find((s) => s.name === name)!;
  return text.split('\n').slice(st.line - 1, st.endLine).join('\n');
};

describe('kinds of image that get no USER and no base swap', () => {
  const cases: [string, string, RegExp][] = [
    ['ONBUILD template', 'FROM python:3.12\nWORKDIR /app\nONBUILD COPY requirements.txt ./\nONBUILD RUN pip install -r requirements.txt\nONBUILD COPY . .\n', /ONBUILD/],
    ['official-style base image', 'FROM debian:bookworm\nENV LANG_VERSION=1.2.3\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/* \\\n && curl -fsSL https://example.invalid/lang-$LANG_VERSION.tar.gz | tar -xz -C /usr/local\nCOPY docker-entrypoint.sh /usr/local/bin/\nENTRYPOINT ["docker-entrypoint.sh"]\nCMD ["bash"]\n', /base or toolchain image/],
    ['entrypoint that drops privileges', 'FROM debian:bookworm\nRUN apt-get update && apt-get install -y --no-install-recommends gosu && rm -rf /var/lib/apt/lists/*\nCOPY app.sh /app.sh\nENTRYPOINT ["gosu", "daemon", "/app.sh"]\n', /drops privileges itself \(gosu\)/],
    ['php:apache binds port 80', 'FROM php:8.3-apache\nCOPY src/ /var/www/html/\n', /binds port 80 as root/],
    ['app exposing port 80', 'FROM node:20\nWORKDIR /app\nCOPY . .\nEXPOSE 80\nCMD ["node", "server.js"]\n', /port 80, below 1024/],
    ['php-fpm master', 'FROM php:8.3-fpm-alpine\nRUN apk add --no-cache rsync\nCOPY upgrade.exclude /\nCOPY *.sh /\nENTRYPOINT ["/entrypoint.sh"]\nCMD ["php-fpm"]\n', /php-fpm, whose master process runs as root/],
    ['cron daemon', 'FROM python:3.12-slim\nRUN apt-get update && apt-get install -y cron && rm -rf /var/lib/apt/lists/*\nCOPY job.py /job.py\nCMD ["cron", "-f"]\n', /installs cron/],
  ];
  for (const [name, text, why] of cases) {
    test(name, () => {
      const r = refactorToMultiStage(text);
      assert.doesNotMatch(r.text, /^USER /m, 'no USER');
      assert.equal(parseDockerfile(r.text).stages.length, 1, 'no split');
      assert.equal(parseDockerfile(r.text).stages[0]!.baseImage, parseDockerfile(text).stages[0]!.baseImage, 'no base swap');
      assert.ok(r.notes.some((n) => why.test(n)), `the note says why: ${r.notes.join(' | ')}`);
    });
  }
  test('base and ONBUILD images get no cache mounts either (official infrastructure uses the classic builder)', () => {
    const text = 'FROM python:3.12\nONBUILD RUN pip install -r requirements.txt\nRUN apt-get update && apt-get install -y git\n';
    const r = refactorToMultiStage(text);
    assert.equal(r.changed, false);
    assert.equal(r.text, text);
  });
});

describe('Windows images get nothing Linux-specific', () => {
  for (const [name, text] of [
    ['servercore with powershell', 'FROM mcr.microsoft.com/windows/servercore:ltsc2022\nSHELL ["powershell", "-Command"]\nRUN pip install -r requirements.txt\nCOPY . C:/app\nCMD ["python", "app.py"]\n'],
    ['python on nanoserver tag', 'FROM python:3.12-windowsservercore-ltsc2022\nWORKDIR C:/app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCMD ["python", "app.py"]\n'],
    ['escape backtick', '# escape=`\nFROM mcr.microsoft.com/dotnet/sdk:8.0-nanoserver-ltsc2022\nRUN dotnet --info\nCMD ["dotnet", "app.dll"]\n'],
  ]) {
    test(name!, () => {
      const r = refactorToMultiStage(text!);
      assert.equal(r.kind, 'windows');
      assert.equal(r.text, text);
      assert.doesNotMatch(r.text, /useradd|--mount|\/opt\/venv/);
    });
  }
});

describe('user creation fits the base', () => {
  test('Debian-based python runtime: groupadd/useradd', () => {
    const r = refactorToMultiStage('FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD ["python", "app.py"]\n');
    assert.match(lastStage(r.text), /RUN groupadd -r appuser && useradd -r -g appuser appuser\nUSER appuser/);
  });
  test('Alpine runtime: addgroup/adduser -S', () => {
    const r = refactorToMultiStage('FROM python:3.12-alpine\nRUN apk add --no-cache gcc musl-dev\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD ["python", "app.py"]\n');
    assert.match(lastStage(r.text), /addgroup -S appuser && adduser -S -G appuser appuser/);
    assert.doesNotMatch(r.text, /useradd/);
  });
  test('a private base whose RUNs use apk gets the busybox tools', () => {
    const r = refactorToMultiStage('FROM python:3.12-alpine\nRUN apk add --no-cache curl\nCOPY app.py /app.py\nCMD ["python", "/app.py"]\n');
    assert.match(r.text, /adduser -S/);
  });
  test('distroless Go runtime: USER nonroot, and a named USER of the original becomes nonroot', () => {
    const r = refactorToMultiStage('FROM golang:1.22\nWORKDIR /src\nCOPY go.mod ./\nCOPY cmd ./cmd\nRUN go build -o /out/app ./cmd/app\nRUN useradd -r app\nUSER app\nENTRYPOINT ["/out/app"]\n');
    const rt = lastStage(r.text);
    assert.match(rt, /FROM gcr\.io\/distroless\/static-debian12:nonroot/);
    assert.match(rt, /^USER nonroot:nonroot$/m);
    assert.doesNotMatch(rt, /^USER app$/m);
  });
  test('scratch runtime: numeric uid', () => {
    const r = refactorToMultiStage('FROM golang:1.22\nWORKDIR /src\nCOPY go.mod ./\nCOPY cmd ./cmd\nRUN go build -o /out/app ./cmd/app\nENTRYPOINT ["/out/app"]\n', { goRuntime: 'scratch' });
    assert.match(lastStage(r.text), /^USER 65532:65532$/m);
  });
  test('node runtime uses the image\'s own node user', () => {
    const r = refactorToMultiStage('FROM node:20\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\nCMD ["node", "dist/main.js"]\n');
    assert.match(lastStage(r.text), /^USER node$/m);
    assert.doesNotMatch(r.text, /useradd/);
  });
  test('a user created in an install RUN (builder only) is created again in the runtime before --chown uses it', () => {
    const text = 'FROM python:3.12\nRUN apt-get update && apt-get install -y gcc && useradd -r web\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY --chown=web:web . .\nUSER web\nCMD ["python", "app.py"]\n';
    const r = refactorToMultiStage(text);
    const rt = lastStage(r.text);
    const create = rt.indexOf('useradd -r -g web web');
    assert.ok(create >= 0, rt);
    assert.ok(create < rt.indexOf('COPY --chown=web:web'), 'created before the COPY --chown');
  });
  test('ensureStageUsers leaves private bases alone (their users are unknown)', () => {
    assert.deepEqual(ensureStageUsers('FROM myorg/base:1\nUSER app\n'), []);
    const e = ensureStageUsers('FROM debian:bookworm-slim\nUSER app\n');
    assert.match(applyEdits('FROM debian:bookworm-slim\nUSER app\n', e), /useradd -r -g app app\nUSER app/);
  });
  test('no USER on a private base, which may switch users itself', () => {
    const text = 'ARG BASE=quay.io/example/notebook\nFROM $BASE\nCOPY requirements.txt /tmp/\nRUN pip install --no-cache-dir -r /tmp/requirements.txt\nCMD ["start.sh"]\n';
    const r = refactorToMultiStage(text);
    assert.doesNotMatch(r.text, /useradd|^USER/m);
    assert.ok(r.notes.some((n) => /not an official image/.test(n)));
  });
  test('no USER for Rails apps, which write tmp/ and log/ into the root-owned app directory', () => {
    const r = refactorToMultiStage('FROM ruby:3.3\nWORKDIR /app\nCOPY Gemfile Gemfile.lock ./\nRUN bundle install\nCOPY . .\nCMD ["bin/rails", "server", "-b", "0.0.0.0"]\n');
    assert.doesNotMatch(r.text, /^USER/m);
    assert.ok(r.notes.some((n) => /tmp\/ and log\//.test(n)));
  });
});

describe('order and variables', () => {
  test('the virtualenv is created after the RUN that installs the interpreter, with python3 and python3-venv', () => {
    const text = 'FROM debian:bookworm\nRUN apt-get update && apt-get install -y python3 python3-pip gcc\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip3 install -r requirements.txt\nCOPY . .\nCMD ["python3", "app.py"]\n';
    const r = refactorToMultiStage(text);
    const b = stageText(r.text, 'builder');
    const install = b.indexOf('install -y python3 python3-pip');
    const venvPkg = b.indexOf('python3-venv');
    const venv = b.indexOf('python3 -m venv /opt/venv');
    assert.ok(install >= 0 && venvPkg > install && venv > venvPkg, b);
    assert.match(lastStage(r.text), /install -y --no-install-recommends python3 python3-pip/);
  });
  test('interpreter and pip in one RUN: no split (no place for the virtualenv)', () => {
    const r = refactorToMultiStage('FROM ubuntu:24.04\nRUN apt-get update && apt-get install -y python3-pip && pip3 install flask\nCOPY app.py .\nCMD ["python3", "app.py"]\n');
    assert.equal(parseDockerfile(r.text).stages.length, 1);
    assert.doesNotMatch(r.text, /venv/);
  });
  test('$GOPATH is written out in a distroless runtime', () => {
    const text = 'FROM golang:1.22\nWORKDIR $GOPATH/src/app\nCOPY go.mod ./\nCOPY cmd ./cmd\nRUN go install ./cmd/server\nENTRYPOINT ["/go/bin/server"]\n';
    const r = refactorToMultiStage(text);
    const rt = lastStage(r.text);
    assert.match(rt, /distroless/);
    assert.doesNotMatch(rt, /\$GOPATH/);
    assert.match(rt, /^WORKDIR \/go\/src\/app$/m);
  });
  test('an artifact path through $GOPATH is found', () => {
    const r = refactorToMultiStage('FROM golang:1.22\nWORKDIR /src\nCOPY go.mod ./\nCOPY cmd ./cmd\nRUN go build -o $GOPATH/bin/svc ./cmd/svc\nENTRYPOINT ["/go/bin/svc"]\n');
    assert.match(lastStage(r.text), /COPY --from=builder \/go\/bin\/svc/);
  });
  test('the files next to the binary reach the runtime (context copied into the working directory)', () => {
    const r = refactorToMultiStage('FROM golang:1.22\nWORKDIR /app\nCOPY . .\nRUN go build -o server .\nCMD ["./server"]\n');
    const rt = lastStage(r.text);
    assert.match(rt, /^COPY \. \/app\/$/m);
    assert.match(rt, /^COPY --from=builder \/app\/server \/app\/server$/m);
    assert.ok(rt.indexOf('COPY . /app/') < rt.indexOf('COPY --from=builder'), 'the binary is copied last');
  });
});

describe('runtime libraries for compiled dependencies', () => {
  test('Debian -dev packages → runtime libraries, not headers or servers', () => {
    const text = 'FROM python:3.12\nRUN apt-get update && apt-get install -y gcc libpq-dev libjpeg-dev default-libmysqlclient-dev libxml2-dev libffi-dev libssl-dev postgresql\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD ["python", "app.py"]\n';
    const rt = lastStage(refactorToMultiStage(text).text);
    const line = /^RUN apt-get update && apt-get install .*$/m.exec(rt)?.[0] ?? '';
    for (const lib of ['libpq5', 'libjpeg62-turbo', 'libmariadb3', 'libxml2', 'libffi8', 'libssl3']) assert.match(line, new RegExp(`\\b${lib}\\b`), lib);
    assert.doesNotMatch(line, /-dev\b|\bgcc\b|\bpostgresql\b/);
  });
  test('bullseye names for the release-dependent ones', () => {
    const rt = lastStage(refactorToMultiStage('FROM python:3.11-bullseye\nRUN apt-get update && apt-get install -y libffi-dev libssl-dev\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCMD ["python", "-m", "app"]\n').text);
    assert.match(rt, /libffi7 libssl1\.1/);
  });
  test('Alpine equivalents', () => {
    const rt = lastStage(refactorToMultiStage('FROM python:3.12-alpine\nRUN apk add --no-cache gcc musl-dev postgresql-dev jpeg-dev libffi-dev\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCMD ["python", "-m", "app"]\n').text);
    assert.match(rt, /^RUN apk add --no-cache libpq libjpeg-turbo libffi$/m);
  });
  test('pip install psycopg2 (built from source) gets libpq5', () => {
    const rt = lastStage(refactorToMultiStage('FROM python:3.12\nRUN pip install psycopg2 flask\nCOPY app.py .\nCMD ["python", "app.py"]\n').text);
    assert.match(rt, /install -y --no-install-recommends libpq5/);
  });
  test('a HEALTHCHECK with curl on a slim runtime installs curl', () => {
    const rt = lastStage(refactorToMultiStage('FROM node:20\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nHEALTHCHECK CMD curl -f http://localhost:3000/ || exit 1\nCMD ["node", "index.js"]\n').text);
    assert.match(rt, /FROM node:20-slim/);
    assert.match(rt, /install -y --no-install-recommends curl/);
  });
});

describe('package-manager versions', () => {
  for (const [tag, prune] of [['14', 'npm prune --production'], ['12-alpine', 'npm prune --production'], ['16', 'npm prune --omit=dev'], ['20-bookworm', 'npm prune --omit=dev']]) {
    test(`node:${tag} → ${prune}`, () => {
      const r = refactorToMultiStage(`FROM node:${tag}\nWORKDIR /app\nCOPY package*.json ./\nRUN npm install\nCOPY . .\nRUN npm run build\nCMD ["node", "dist/index.js"]\n`);
      assert.match(r.text, new RegExp(`^RUN ${prune}$`, 'm'));
    });
  }
});

describe('safe subset does not swap the base under tools it needs', () => {
  test('npm run scripts may compile: no node:slim swap', () => {
    const text = 'FROM node:14\nWORKDIR /app\nCOPY . .\nRUN npm run install-all\nCMD ["npm", "start"]\n';
    const r = refactorToMultiStage(text);
    assert.match(r.text, /^FROM node:14$/m);
  });
  test('a RUN using git keeps the full image', () => {
    const r = refactorToMultiStage('FROM python:3.12\nCOPY . /app\nRUN git -C /app log -1 > /app/VERSION\nCMD ["python", "/app/main.py"]\n');
    assert.match(r.text, /^FROM python:3\.12$/m);
  });
});

describe('no change, no output', () => {
  const root = join(__dirname, '..', '..', '..');
  const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const tmp = mkdtempSync(join(tmpdir(), 'stagelens-r15-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const cli = (file: string): Promise<{ code: number; stdout: Buffer; stderr: string }> => new Promise((resolve) => {
    execFile(process.execPath, ['--import', tsx, join(root, 'src', 'cli', 'main.ts'), 'refactor', file], { encoding: 'buffer', env: { ...process.env, NODE_OPTIONS: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr: stderr.toString('utf8') });
    });
  });
  for (const [name, body] of [
    ['no trailing newline', 'FROM golang:1.22 AS b\nRUN go version\nFROM scratch\nCOPY --from=b /usr/local/go/VERSION /\nUSER 65532'],
    ['CRLF and a BOM', '\ufeffFROM node:20-slim AS a\r\nRUN node -v\r\nFROM a\r\nUSER node\r\nCMD ["node"]\r\n'],
    ['Windows image', 'FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nCOPY app.exe C:/app/\nCMD ["C:/app/app.exe"]\n\n'],
  ]) {
    test(`byte-identical stdout and says so: ${name}`, { timeout: 60_000 }, async () => {
      const f = join(tmp, name!.replace(/\W+/g, '-'));
      writeFileSync(f, body!);
      const r = await cli(f);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.equals(Buffer.from(body!, 'utf8')), `stdout differs: ${JSON.stringify(r.stdout.toString('utf8'))}`);
      assert.match(r.stderr, /no change .*byte for byte/);
    });
  }
  test('an unterminated heredoc is refused with exit 2 and a one-line reason', { timeout: 60_000 }, async () => {
    const f = join(tmp, 'heredoc');
    writeFileSync(f, 'FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nRUN <<EOF\necho hi\nCOPY . .\nCMD ["python", "app.py"]\n');
    const r = await cli(f);
    assert.equal(r.code, 2);
    assert.equal(r.stdout.length, 0);
    assert.match(r.stderr, /line 4: the heredoc <<EOF is never terminated/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
  test('terminated heredocs (also <<- with tabs, two in one instruction) are not refused', () => {
    for (const t of ['FROM a\nRUN <<EOF\necho\nEOF\nCMD x\n', 'FROM a\nRUN <<-EOT bash\n\techo\n\tEOT\nCMD x\n', 'FROM a\nCOPY <<A <<B /x/\na\nA\nb\nB\n']) {
      assert.equal(refactorToMultiStage(t).refused, undefined, t);
    }
  });
});
