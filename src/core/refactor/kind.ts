// What kind of image a Dockerfile makes, because the right rewrite depends on it: a base image
// that others build FROM, an ONBUILD template, an entrypoint that drops privileges itself or a
// server that binds port 80 as root all break when a rewrite adds USER or swaps the base, and
// a Windows image has none of the Linux tools (useradd, RUN --mount, /opt/venv) a rewrite uses.
import type { ParsedDockerfile, ParsedInstruction, ParsedStage } from '../dockerfile/parse';
import { officialName, parseImageRef } from '../knowledge/images';
import { commandWords, copyOperands, execArgv, installedPackages, runCommand, segments } from '../knowledge/shell';

export type ImageKind = 'windows' | 'onbuild' | 'base' | 'drops-privileges' | 'privileged-port' | 'root-daemon' | 'app';

export interface KindVerdict {
  kind: ImageKind;
  /** Why, in words for the user (empty for `app`). */
  reason: string;
}

/** A Windows base image by name: `mcr.microsoft.com/windows/servercore`, `…:ltsc2022`, `*-nanoserver-*`. */
export function isWindowsImage(ref: string): boolean {
  const { repo, tag } = parseImageRef(ref);
  return /(^|\/)windows(\/|$)|nanoserver|servercore|windowsservercore/i.test(repo)
    || /windowsservercore|nanoserver|ltsc20\d\d|(^|-)(1809|20h2|2004|1909)(-|$)/i.test(tag ?? '');
}

const WINDOWS_SHELL = /^\s*\[\s*"(powershell|pwsh|cmd)(\.exe)?"/i;

export function isWindowsDockerfile(df: ParsedDockerfile, st: ParsedStage): boolean {
  if (isWindowsImage(st.resolvedBaseImage)) return true;
  if (df.escapeChar === '`') return true;
  return df.instructions.some((i) => i.keyword === 'SHELL' && WINDOWS_SHELL.test(i.args));
}

const ROOT_DAEMONS = new Set(['cron', 'cronie', 'supervisor', 'openssh-server', 'systemd', 'systemd-sysv', 'rsyslog', 'dcron', 'busybox-suid']);

const ROOT_MASTERS: Record<string, string> = {
  'php-fpm': 'whose master process runs as root and whose pool workers run as www-data',
  'apache2-foreground': 'which starts as root to bind its port and serves as www-data',
  'httpd-foreground': 'which starts as root to bind its port and serves as daemon',
  nginx: 'whose master process runs as root and whose workers run unprivileged',
  supervisord: 'a process supervisor that starts its programs as the users they name',
};

// Programs that switch to another user before exec'ing the real process.
const PRIV_DROP = /(^|[\s/"'=])(gosu|su-exec|setpriv|s6-setuidgid|chpst|runuser)([\s"'@:]|$)/;

/** Commands an official base or toolchain image leaves as its default process (no application). */
const GENERIC_CMD = new Set([
  'bash', 'sh', 'ash', 'zsh', 'python', 'python3', 'node', 'irb', 'php', 'php-fpm', 'apache2-foreground', 'httpd-foreground',
  'jshell', 'ghci', 'iex', 'erl', 'r', 'julia', 'pwsh', 'powershell', 'cmd', 'deno', 'bun', 'ruby', 'perl', 'go', 'rustc',
  'cargo', 'mvn', 'gradle', 'dotnet', 'java', 'jupyter', 'start-notebook.py', 'start-notebook.sh', 'start.sh', 'tini', 'docker-php-entrypoint',
]);

/** A COPY/ADD that brings only helper scripts or system config, not an application. */
function isSupportCopy(ins: ParsedInstruction): boolean {
  if (ins.flags.some((f) => f.name === 'from')) return true;
  const ops = copyOperands(ins);
  if (!ops) return false;
  return ops.sources.every((s) => /^https?:\/\//.test(s)
    || /(^|\/)(docker-[\w.*-]*|[\w.*-]*entrypoint[\w.*-]*|[\w.*-]+\.(sh|conf|ini|cnf|repo|list|gpg|asc|key|pem|crt|py|rb)|start-[\w.*-]+|healthcheck[\w.*-]*|initdb\.d|fix-permissions|[\w.*-]*\.d)$/i.test(s.replace(/\/+$/, ''))
    && !/^(app|main|server|manage|wsgi|asgi|run)\.(py|rb)$/i.test(s.replace(/^.*\//, '')));
}

/** Ports below 1024 the image exposes (variables and ranges are skipped). */
function privilegedPorts(st: ParsedStage): number[] {
  const out: number[] = [];
  for (const i of st.instructions) {
    if (i.keyword !== 'EXPOSE') continue;
    for (const w of i.args.split(/\s+/)) {
      const m = /^(\d+)(\/(tcp|udp|sctp))?$/.exec(w);
      if (m && Number(m[1]) > 0 && Number(m[1]) < 1024) out.push(Number(m[1]));
    }
  }
  return out;
}

/** Web servers whose official images bind port 80 as root and drop privileges in their own workers. */
function rootServerImage(ref: string): string | null {
  const n = officialName(ref);
  const tag = parseImageRef(ref).tag ?? '';
  if (n === 'php' && tag.includes('apache')) return `${ref} runs Apache, which binds port 80 as root and serves as www-data`;
  if (n === 'httpd') return `${ref} binds port 80 as root and serves as daemon`;
  if (n === 'nginx' || n === 'openresty/openresty') return `${ref} binds port 80 as root; its workers run as nginx`;
  return null;
}

/** The kind of image the Dockerfile's final stage makes, judged from its own text. */
export function imageKind(df: ParsedDockerfile): KindVerdict {
  const st = df.stages[df.stages.length - 1];
  if (!st) return { kind: 'app', reason: '' };
  if (isWindowsDockerfile(df, st)) {
    return { kind: 'windows', reason: 'this is a Windows image: useradd, RUN --mount cache mounts and Linux paths such as /opt/venv do not apply there' };
  }
  const onbuild = df.instructions.find((i) => i.keyword === 'ONBUILD');
  if (onbuild) return { kind: 'onbuild', reason: `it is an ONBUILD image (line ${onbuild.line}): its triggers run in the images built FROM it, which a USER or another base would change` };
  const texts = st.instructions.filter((i) => ['RUN', 'ENTRYPOINT', 'CMD', 'COPY', 'ADD'].includes(i.keyword)).map((i) => (i.keyword === 'RUN' ? runCommand(i) : i.args));
  const drop = texts.map((t) => PRIV_DROP.exec(t)).find((m) => m);
  if (drop) return { kind: 'drops-privileges', reason: `its entrypoint drops privileges itself (${drop[2]}): it must start as root` };
  // Process supervisors and system daemons that only work as root.
  for (const i of st.instructions) {
    if (i.keyword !== 'RUN') continue;
    for (const g of segments(runCommand(i))) {
      const d = installedPackages(g)?.packages.find((p) => ROOT_DAEMONS.has(p));
      if (d) return { kind: 'root-daemon', reason: `it installs ${d} (line ${i.line}), which runs as root` };
    }
  }
  // Servers whose master process runs as root by design and whose workers switch users.
  const last = [...st.instructions].reverse().find((i) => i.keyword === 'CMD');
  const cmd0 = last ? (execArgv(last).argv[0] ?? '').replace(/^.*\//, '') : '';
  if (ROOT_MASTERS[cmd0]) return { kind: 'root-daemon', reason: `its CMD is ${cmd0}, ${ROOT_MASTERS[cmd0]}` };
  const server = rootServerImage(st.resolvedBaseImage);
  if (server) return { kind: 'privileged-port', reason: server };
  const ports = privilegedPorts(st);
  if (ports.length) return { kind: 'privileged-port', reason: `it exposes port ${ports[0]}, below 1024, which only root may bind on most engines` };
  // Official-image style: no application copied in, and either a generic default process
  // (a shell, an interpreter, a toolchain) or a versioned runtime downloaded and installed.
  const copies = st.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD');
  if (copies.every(isSupportCopy)) {
    const entry = [...st.instructions].reverse().find((i) => i.keyword === 'CMD') ?? [...st.instructions].reverse().find((i) => i.keyword === 'ENTRYPOINT');
    const argv = entry ? execArgv(entry).argv : [];
    const prog = (argv[0] ?? '').replace(/^.*\//, '').toLowerCase();
    const genericProg = GENERIC_CMD.has(prog) || /^(python|ruby|node|php|pypy)[\d.]*$/.test(prog);
    // `CMD ["python3"]` is a base image's default; `CMD ["python", "app.py"]` runs an application.
    const genericCmd = !entry || (genericProg && argv.slice(1).every((a) => a.startsWith('-')));
    const versioned = st.instructions.some((i) => i.keyword === 'ENV' && /\b[A-Z][A-Z0-9_]*_VERSION[= ]/.test(i.args))
      && st.instructions.some((i) => i.keyword === 'RUN' && segments(runCommand(i)).some((s) => ['curl', 'wget'].includes(commandWords(s).argv[0] ?? '')));
    if (genericCmd || versioned) {
      return { kind: 'base', reason: `it looks like a base or toolchain image that other images build FROM (no application is copied in${versioned ? '; it installs a versioned runtime' : ''}${entry && genericCmd ? `; its default process is \`${argv[0]}\`` : ''})` };
    }
  }
  return { kind: 'app', reason: '' };
}

/** The first heredoc whose terminator never comes (the parser then swallows the rest of the file). */
export function unterminatedHeredoc(df: ParsedDockerfile): ParsedInstruction | null {
  for (const ins of df.instructions) {
    if (ins.heredocs.length === 0) continue;
    const lines = ins.text.split(/\r?\n/).slice(1).map((l) => l.replace(/^\t+/, '').trimEnd());
    let at = 0;
    for (const name of ins.heredocs) {
      const k = lines.indexOf(name, at);
      if (k < 0) return ins;
      at = k + 1;
    }
  }
  return null;
}
