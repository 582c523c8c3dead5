// Seeded mutation fuzzing over real Dockerfiles: the repository's examples and fixtures plus a
// few written here, mutated by byte flips, line shuffles, truncations and splices. Same seed,
// same inputs, so a failure found once is found again.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const repo = join(__dirname, '..', '..');

const BUILT_IN_SEEDS = [
  `FROM python:3.12
WORKDIR /app
RUN apt-get update && apt-get install -y build-essential gcc git curl \\
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
EXPOSE 8000
CMD ["python", "app.py"]
`,
  `# syntax=docker/dockerfile:1
ARG PY=3.12
FROM python:\${PY}-slim AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
RUN --mount=type=cache,target=/root/.cache/pip \\
    python -m venv /opt/venv && /opt/venv/bin/pip install -r requirements.txt
FROM python:\${PY}-slim AS runtime
RUN useradd --create-home app
COPY --from=builder /opt/venv /opt/venv
USER app
ENV PATH=/opt/venv/bin:$PATH
COPY --chown=app:app . /home/app
CMD ["gunicorn", "app:app"]
`,
  `FROM busybox AS a
RUN <<EOF
echo one
echo two
EOF
COPY <<-CONF /etc/x.conf
\tkey=value
\tCONF
FROM a AS b
RUN --mount=type=bind,from=a,target=/a ls /a
FROM scratch
COPY --from=b /bin/busybox /busybox
ENTRYPOINT ["/busybox"]
`,
  `# escape=\`
FROM busybox
RUN echo a \`
    && echo b
HEALTHCHECK --interval=30s CMD wget -qO- http://localhost/ || exit 1
ONBUILD RUN echo child
LABEL a="b c" d=e
ARG TOKEN
ENV SECRET_KEY=\${TOKEN}
`,
];

/** Dockerfiles in the repository (examples/, test fixtures) plus the built-in seeds. */
export function fuzzSeeds(): { name: string; text: string }[] {
  const seeds = BUILT_IN_SEEDS.map((text, i) => ({ name: `built-in ${i}`, text }));
  const look = (dir: string, depth: number): void => {
    if (!existsSync(dir) || depth < 0) return;
    for (const n of readdirSync(dir).sort()) {
      const p = join(dir, n);
      let st;
      try { st = statSync(p); } catch { continue; }
      if (st.isDirectory()) { if (n !== 'node_modules' && !n.startsWith('.')) look(p, depth - 1); }
      else if (/(^|\.)dockerfile(\.|$)/i.test(n) && st.size < 200_000) seeds.push({ name: p.slice(repo.length + 1), text: readFileSync(p, 'utf8') });
    }
  };
  look(join(repo, 'examples'), 3);
  look(join(repo, 'test', 'e2e', 'fixture-workspace'), 3);
  look(join(repo, 'bench'), 3);
  return seeds;
}

const TOKENS = ['FROM', 'RUN', 'COPY', 'ADD', 'ARG', 'ENV', ' AS ', '--from=', '--mount=type=cache,target=/x', '--mount=from=', '<<EOF', '\nEOF\n',
  '\\\n', '`\n', '${', '}', '$', '# escape=`\n', '# syntax=x\n', '"', "'", '[', ']', '\0', '\r', '\r\n', '\ufeff', '\t', '0', '1', '99', 'builder', '&&', '#'];

export type Mutation = 'flip' | 'shuffle' | 'truncate' | 'splice' | 'insert' | 'duplicate' | 'delete-lines' | 'stack';

/** Produces one mutant of `base`, using `others` for splices. */
export function mutate(r: () => number, base: string, others: string[]): { text: string; mutation: Mutation } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const kinds: Mutation[] = ['flip', 'shuffle', 'truncate', 'splice', 'insert', 'duplicate', 'delete-lines', 'stack'];
  const mutation = pick(kinds);
  const apply = (text: string, kind: Mutation): string => {
    const lines = text.split('\n');
    switch (kind) {
      case 'flip': {
        const b = Buffer.from(text, 'utf8');
        const n = 1 + Math.floor(r() * 8);
        for (let i = 0; i < n && b.length; i++) b[Math.floor(r() * b.length)] ^= 1 << Math.floor(r() * 8);
        return b.toString('utf8');
      }
      case 'shuffle': {
        for (let i = lines.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [lines[i], lines[j]] = [lines[j]!, lines[i]!]; }
        return lines.join(r() < 0.2 ? '\r\n' : '\n');
      }
      case 'truncate':
        return text.slice(0, Math.floor(r() * text.length));
      case 'splice': {
        const other = pick(others);
        const a = Math.floor(r() * text.length);
        const b = Math.floor(r() * other.length);
        return text.slice(0, a) + other.slice(b, b + Math.floor(r() * 400));
      }
      case 'insert': {
        let t = text;
        const n = 1 + Math.floor(r() * 6);
        for (let i = 0; i < n; i++) { const at = Math.floor(r() * (t.length + 1)); t = t.slice(0, at) + pick(TOKENS) + t.slice(at); }
        return t;
      }
      case 'duplicate': {
        const i = Math.floor(r() * lines.length);
        const times = 1 + Math.floor(r() * 50);
        lines.splice(i, 0, ...Array<string>(times).fill(lines[i] ?? ''));
        return lines.join('\n');
      }
      case 'delete-lines': {
        const i = Math.floor(r() * lines.length);
        lines.splice(i, 1 + Math.floor(r() * 3));
        return lines.join('\n');
      }
      case 'stack':
        return apply(apply(text, pick(kinds.slice(0, 7))), pick(kinds.slice(0, 7)));
    }
  };
  return { text: apply(base, mutation), mutation };
}
