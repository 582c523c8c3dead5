// Property tests over generated and mutated Dockerfiles (seeded, so failures reproduce):
// the rewrite never throws, its output parses, the runtime keeps CMD/ENTRYPOINT/EXPOSE/ENV,
// and running it again changes nothing. The same inputs exercise every finding's fix.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { baseChain, parseDockerfile, type ParsedDockerfile } from '../../../src/core/dockerfile/parse';
import { addCacheMounts, addNonRootUser, applyEdits, refactorToMultiStage } from '../../../src/core/refactor';
import { analyzeDockerfile } from '../../../src/core/suggest';
import { rng } from '../../harness/prng';


const BASES = ['python:3.12', 'python:3.11-bookworm', 'python:3.12-alpine', 'node:20', 'node:18-alpine', 'golang:1.22', 'golang:1.21-alpine',
  'rust:1.79', 'maven:3.9-eclipse-temurin-21', 'eclipse-temurin:17-jdk', 'debian:bookworm', 'ubuntu:24.04', 'alpine:3.20', 'fixture/busybox:latest', 'myorg/base:1'];
const LINES: Record<string, string[]> = {
  common: [
    'WORKDIR /app', 'WORKDIR /srv/app', 'ENV APP_ENV=production', 'ENV A=1 B="two words"', 'ENV LEGACY value with spaces', 'ARG VERSION=1.0',
    'LABEL org.opencontainers.image.source="https://example.com/x"', 'EXPOSE 8080', 'EXPOSE 8000/tcp 9000', 'VOLUME ["/data"]',
    'HEALTHCHECK --interval=30s CMD curl -f http://localhost/ || exit 1', 'HEALTHCHECK NONE', 'STOPSIGNAL SIGINT',
    'RUN apt-get update && apt-get install -y build-essential curl libpq-dev', 'RUN apt-get update \\\n    && apt-get install -y --no-install-recommends gcc \\\n    && rm -rf /var/lib/apt/lists/*',
    'RUN apk add --no-cache gcc musl-dev', 'RUN apk add curl', 'COPY . .', 'COPY config/ /etc/app/', 'ADD app.tar.gz /opt/', 'ADD local.txt /x/',
    'RUN mkdir -p /data && chmod 777 /data', 'USER nobody', 'USER root', 'RUN useradd -r app', '# a comment line', '# hadolint ignore=DL3008',
    'COPY --chown=1000:1000 static /app/static', 'RUN <<EOF\necho heredoc\nEOF',
  ],
  python: ['COPY requirements.txt .', 'COPY requirements.txt requirements-dev.txt ./', 'RUN pip install -r requirements.txt',
    'RUN pip install --no-cache-dir -r requirements.txt -r requirements-dev.txt', 'RUN pip install flask pytest black', 'RUN python -m pip install -e .',
    'RUN pip install --user httpie', 'RUN python -m venv /venv', 'COPY vendor/ vendor/', 'CMD ["python", "app.py"]', 'CMD python -m app', 'ENTRYPOINT ["gunicorn"]'],
  node: ['COPY package.json package-lock.json ./', 'RUN npm ci', 'RUN npm install', 'RUN npm ci --omit=dev', 'RUN yarn install --frozen-lockfile', 'RUN pnpm install',
    'RUN npm run build', 'ENV NODE_ENV=production', 'CMD ["node", "server.js"]', 'CMD npm start', 'ENTRYPOINT ["node"]'],
  go: ['COPY go.mod go.sum ./', 'RUN go mod download', 'RUN go build -o /usr/local/bin/app ./cmd/app', 'RUN go build -o app .', 'RUN CGO_ENABLED=0 go build -o /out/svc .',
    'ENV CGO_ENABLED=1', 'ENTRYPOINT ["/usr/local/bin/app"]', 'CMD ["./app"]', 'CMD ["/out/svc", "--flag"]', 'RUN go install ./cmd/tool', 'CMD ["tool"]'],
  rust: ['COPY Cargo.toml Cargo.lock ./', 'COPY src ./src', 'RUN cargo build --release', 'RUN cargo install --path .', 'CMD ["./target/release/app"]', 'CMD ["app"]'],
  java: ['COPY pom.xml .', 'RUN mvn -B dependency:go-offline', 'COPY src ./src', 'RUN mvn -B package', 'RUN ./gradlew build',
    'ENTRYPOINT ["java", "-jar", "target/app.jar"]', 'CMD ["java", "-jar", "/app/app.jar"]', 'CMD java -jar build/libs/*.jar'],
};
const FAMILY: [RegExp, string][] = [[/python/, 'python'], [/node/, 'node'], [/golang/, 'go'], [/rust/, 'rust'], [/maven|temurin/, 'java']];

function generate(rnd: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const base = pick(BASES);
  const fam = FAMILY.find(([re]) => re.test(base))?.[1] ?? pick(['python', 'node', 'go', 'rust', 'java']);
  const lines: string[] = [];
  if (rnd() < 0.15) lines.push('# escape=\\');
  if (rnd() < 0.2) lines.push('ARG TAG=latest');
  if (rnd() < 0.3) lines.push('# Top comment');
  lines.push(`${rnd() < 0.1 ? 'from' : 'FROM'} ${base}${rnd() < 0.2 ? ' AS app' : ''}`);
  const n = 2 + Math.floor(rnd() * 12);
  for (let i = 0; i < n; i++) lines.push(rnd() < 0.6 ? pick(LINES[fam]!) : pick(LINES.common!));
  if (rnd() < 0.8) lines.push(pick(LINES[fam]!.filter((l) => /^(CMD|ENTRYPOINT)/.test(l))));
  return lines.join(rnd() < 0.1 ? '\r\n' : '\n') + (rnd() < 0.9 ? '\n' : '');
}

/** Structural mutations: drop, duplicate, swap lines; add a second stage; break a line. */
function mutate(text: string, rnd: () => number): string {
  const lines = text.split('\n');
  const k = Math.floor(rnd() * lines.length);
  switch (Math.floor(rnd() * 6)) {
    case 0: lines.splice(k, 1); break;
    case 1: lines.splice(k, 0, lines[k] ?? ''); break;
    case 2: { const j = Math.floor(rnd() * lines.length); [lines[k], lines[j]] = [lines[j]!, lines[k]!]; break; }
    case 3: lines.push('FROM debian:bookworm-slim AS extra', 'COPY --from=0 /app /app'); break;
    case 4: lines[k] = (lines[k] ?? '') + ' \\'; break;
    default: lines.splice(k, 0, ''); break;
  }
  return lines.join('\n');
}

function runtimeFacts(df: ParsedDockerfile): { cmd: string | null; entry: string | null; expose: string[]; env: string[] } {
  const last = df.stages[df.stages.length - 1]!;
  const ins = baseChain(df, last.index).flatMap((i) => df.stages[i]!.instructions);
  const lastOf = (kw: string): string | null => [...ins].reverse().find((i) => i.keyword === kw)?.args ?? null;
  return {
    cmd: lastOf('CMD'), entry: lastOf('ENTRYPOINT'),
    expose: ins.filter((i) => i.keyword === 'EXPOSE').map((i) => i.args).sort(),
    env: [...new Set(ins.filter((i) => i.keyword === 'ENV').map((i) => i.args))].filter((e) => !/\/opt\/venv/.test(e)).sort(),
  };
}

const CASES = Number(process.env.PROPERTY_CASES ?? 600);

test(`rewrite properties over ${CASES} generated and mutated Dockerfiles`, () => {
  const rnd = rng(0x5eed1e5);
  let split = 0; let unchangedInvalid = 0;
  for (let i = 0; i < CASES; i++) {
    let text = generate(rnd);
    if (i % 3 === 2) text = mutate(text, rnd);
    const ctx = `case ${i}:\n${text}`;
    const before = parseDockerfile(text);
    const r = refactorToMultiStage(text);
    assert.equal(applyEdits(text, r.edits), r.text, ctx);
    const after = parseDockerfile(r.text);
    assert.equal(after.syntax, before.syntax, `${ctx}\nno # syntax line may be added`);
    if (before.problems.length) { assert.equal(r.changed, false, ctx); unchangedInvalid++; continue; }
    assert.deepEqual(after.problems, [], `${ctx}\n--- output:\n${r.text}`);
    // Only stages it defines are referenced: parse reports unknown references as problems,
    // and every COPY --from names an earlier stage.
    for (const st of after.stages) for (const ins of st.instructions) {
      const from = ins.flags.find((f) => f.name === 'from')?.value;
      if (from && before.stages.length === 1) assert.ok(after.stages.some((s) => s.name === from && s.index < st.index), `${ctx}\nCOPY --from=${from}`);
    }
    if (before.stages.length === 1) {
      const a = runtimeFacts(before); const b = runtimeFacts(after);
      assert.equal(b.cmd, a.cmd, `${ctx}\nCMD\n${r.text}`);
      assert.equal(b.entry, a.entry, `${ctx}\nENTRYPOINT\n${r.text}`);
      assert.deepEqual(b.expose, a.expose, `${ctx}\nEXPOSE\n${r.text}`);
      for (const e of a.env) assert.ok(b.env.includes(e), `${ctx}\nENV ${e} lost\n${r.text}`);
      if (after.stages.length > 1) split++;
    }
    const again = refactorToMultiStage(r.text);
    assert.equal(again.changed, false, `${ctx}\nnot idempotent; first output:\n${r.text}\nsecond:\n${again.text}`);
  }
  // The generator must actually exercise the split and the invalid-input path.
  assert.ok(split > CASES / 4, `only ${split} splits`);
  assert.ok(unchangedInvalid > 0);
});

test(`findings and their fixes over ${CASES} generated Dockerfiles`, () => {
  const rnd = rng(0xfeed);
  for (let i = 0; i < CASES; i++) {
    let text = generate(rnd);
    if (i % 2 === 1) text = mutate(text, rnd);
    const ctx = `case ${i}:\n${text}`;
    const before = parseDockerfile(text);
    const findings = analyzeDockerfile(text, { buildkit: i % 4 !== 0 });
    for (const f of findings) {
      assert.ok(f.line >= 1 && f.endLine >= f.line, ctx);
      assert.ok(!f.message.includes('\n'), ctx);
      if (!f.fix) continue;
      const out = applyEdits(text, f.fix.edits);
      if (!before.problems.length) assert.deepEqual(parseDockerfile(out).problems, [], `${ctx}\nfix ${f.id} broke parsing:\n${out}`);
    }
    for (const edits of [addCacheMounts(text), addNonRootUser(text)]) {
      const out = applyEdits(text, edits);
      if (!before.problems.length) assert.deepEqual(parseDockerfile(out).problems, [], ctx);
    }
  }
});
