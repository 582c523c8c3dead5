// Endpoint resolution follows the Docker CLI's order; checked against a throw-away config dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ENDPOINT, EndpointConfigError, dockerodeOptionsFor, listEndpoints, resolveEndpoint } from '../../../src/engine/connection';
import { SshAgent, describeSshFailure, sshArgs } from '../../../src/engine/ssh';

function configDir(contexts: Record<string, { host: string; tls?: boolean }>, current?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sl-dockercfg-'));
  if (current) writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: {}, currentContext: current }));
  for (const [name, c] of Object.entries(contexts)) {
    const hash = createHash('sha256').update(name).digest('hex');
    mkdirSync(join(dir, 'contexts', 'meta', hash), { recursive: true });
    writeFileSync(join(dir, 'contexts', 'meta', hash, 'meta.json'), JSON.stringify({ Name: name, Metadata: { Description: `ctx ${name}` }, Endpoints: { docker: { Host: c.host, SkipTLSVerify: false } } }));
    if (c.tls) {
      const tls = join(dir, 'contexts', 'tls', hash, 'docker');
      mkdirSync(tls, { recursive: true });
      for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(tls, f), `${f} of ${name}`);
    }
  }
  return dir;
}

test('explicit endpoint wins over DOCKER_HOST and contexts', () => {
  const dir = configDir({ remote: { host: 'tcp://10.1.1.1:2375' } }, 'remote');
  const r = resolveEndpoint({ explicit: 'unix:///tmp/x.sock', env: { DOCKER_HOST: 'tcp://1.2.3.4:2375', DOCKER_CONTEXT: 'remote' }, dockerConfigDir: dir });
  assert.equal(r.url, 'unix:///tmp/x.sock');
  assert.equal(r.source, '--host/setting');
  assert.equal(r.dockerodeOptions.socketPath, '/tmp/x.sock');
  assert.equal(r.dockerodeOptions.host, undefined, 'a DOCKER_HOST in the environment must not leak into the options');
});

test('DOCKER_HOST forms: unix, tcp, tcp with TLS, ssh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sl-certs-'));
  for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, f), f);
  const unix = resolveEndpoint({ env: { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }, dockerConfigDir: dir });
  assert.deepEqual([unix.source, unix.dockerodeOptions.socketPath], ['DOCKER_HOST', '/run/user/1000/docker.sock']);
  const tcp = resolveEndpoint({ env: { DOCKER_HOST: 'tcp://10.0.0.5:2375' }, dockerConfigDir: dir });
  assert.deepEqual([tcp.dockerodeOptions.host, tcp.dockerodeOptions.port, tcp.dockerodeOptions.protocol], ['10.0.0.5', 2375, 'http']);
  const tls = resolveEndpoint({ env: { DOCKER_HOST: 'tcp://10.0.0.5', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir }, dockerConfigDir: dir });
  assert.deepEqual([tls.dockerodeOptions.port, tls.dockerodeOptions.protocol], [2376, 'https']);
  assert.equal(String(tls.dockerodeOptions.cert), 'cert.pem');
  assert.equal(String(tls.dockerodeOptions.ca), 'ca.pem');
  const ssh = resolveEndpoint({ env: { DOCKER_HOST: 'ssh://deploy@build.example:2222' }, dockerConfigDir: dir });
  // ssh:// is plain HTTP whose connections the system ssh client makes (src/engine/ssh.ts).
  assert.equal(ssh.dockerodeOptions.protocol, 'http');
  const agent = (ssh.dockerodeOptions as { agent?: unknown }).agent;
  assert.ok(agent instanceof SshAgent);
  assert.deepEqual(agent.target, { host: 'build.example', user: 'deploy', port: 2222 });
});

test('DOCKER_CONTEXT, then the current context from config.json, then the default socket', () => {
  const dir = configDir({ remote: { host: 'tcp://10.1.1.1:2376', tls: true }, colima: { host: 'unix:///home/u/.colima/docker.sock' } }, 'colima');
  const viaEnv = resolveEndpoint({ env: { DOCKER_CONTEXT: 'remote' }, dockerConfigDir: dir });
  assert.equal(viaEnv.url, 'tcp://10.1.1.1:2376');
  assert.equal(viaEnv.source, 'DOCKER_CONTEXT=remote');
  assert.equal(viaEnv.dockerodeOptions.protocol, 'https');
  assert.equal(String(viaEnv.dockerodeOptions.key), 'key.pem of remote');
  const viaConfig = resolveEndpoint({ env: {}, dockerConfigDir: dir });
  assert.deepEqual([viaConfig.url, viaConfig.source], ['unix:///home/u/.colima/docker.sock', 'docker context "colima"']);
  const dflt = resolveEndpoint({ env: { DOCKER_CONTEXT: 'default' }, dockerConfigDir: dir });
  assert.deepEqual([dflt.url, dflt.source], [DEFAULT_ENDPOINT, 'default']);
  const none = resolveEndpoint({ env: {}, dockerConfigDir: mkdtempSync(join(tmpdir(), 'sl-empty-')) });
  assert.equal(none.url, DEFAULT_ENDPOINT);
  assert.throws(() => resolveEndpoint({ env: { DOCKER_CONTEXT: 'missing' }, dockerConfigDir: dir }), EndpointConfigError);
});

test('bad endpoints are configuration errors, not crashes', () => {
  assert.throws(() => dockerodeOptionsFor('ftp://x'), EndpointConfigError);
  assert.throws(() => dockerodeOptionsFor('not a url'), EndpointConfigError);
  assert.equal(dockerodeOptionsFor('/var/run/docker.sock').socketPath, '/var/run/docker.sock');
});

test('listEndpoints offers DOCKER_HOST, every context and the default, marking the current one', () => {
  const dir = configDir({ remote: { host: 'tcp://10.1.1.1:2375' }, colima: { host: 'unix:///c.sock' } }, 'colima');
  const list = listEndpoints({ env: {}, dockerConfigDir: dir });
  assert.deepEqual(list.map((e) => e.url).sort(), ['tcp://10.1.1.1:2375', 'unix:///c.sock', DEFAULT_ENDPOINT].sort());
  assert.deepEqual(list.filter((e) => e.current).map((e) => e.url), ['unix:///c.sock']);
  const withHost = listEndpoints({ env: { DOCKER_HOST: 'tcp://9.9.9.9:2375' }, dockerConfigDir: dir });
  assert.equal(withHost[0]!.url, 'tcp://9.9.9.9:2375');
  assert.ok(withHost[0]!.current);
});

test('ssh:// runs ssh as the Docker CLI does, and passes user/port only when the URL names them', () => {
  assert.deepEqual(sshArgs({ host: 'build' }).slice(-6), ['-T', '--', 'build', 'docker', 'system', 'dial-stdio']);
  const a = sshArgs({ host: 'h.example', user: 'deploy', port: 2222 }, { connectTimeoutS: 3 });
  assert.ok(a.includes('BatchMode=yes') && a.includes('ConnectTimeout=3'));
  assert.deepEqual(a.slice(a.indexOf('-l'), a.indexOf('--')), ['-l', 'deploy', '-p', '2222']);
  assert.throws(() => dockerodeOptionsFor('ssh://host/some/path'), EndpointConfigError);
});

test('ssh failures become a cause and a fix', () => {
  const t = { host: 'h.example', user: 'root', port: 2222 };
  const unknown = describeSshFailure(t, 'No ED25519 host key is known for [h.example]:2222 and you have requested strict checking.\r\nHost key verification failed.\r\n', 255);
  assert.match(unknown.message, /not in known_hosts/);
  assert.match(unknown.fix, /ssh-keyscan -p 2222 h\.example >> ~\/\.ssh\/known_hosts/);
  assert.match(describeSshFailure(t, 'root@h.example: Permission denied (publickey).', 255).fix, /authorized_keys/);
  assert.match(describeSshFailure(t, 'bash: line 1: docker: command not found', 127).message, /no `docker` command/);
  assert.match(describeSshFailure(t, 'ssh: connect to host h.example port 2222: Connection refused', 255).message, /cannot reach/);
});

test('an explicit endpoint that is a TLS context\'s Host (what Select Docker Endpoint… stores) uses that context\'s certificates', () => {
  const dir = configDir({ secure: { host: 'tcp://10.9.9.9:2376', tls: true }, plain: { host: 'tcp://10.9.9.8:2375' } });
  const r = resolveEndpoint({ explicit: 'tcp://10.9.9.9:2376', env: {}, dockerConfigDir: dir });
  assert.equal(r.dockerodeOptions.protocol, 'https');
  assert.equal(String(r.dockerodeOptions.cert), 'cert.pem of secure');
  const p = resolveEndpoint({ explicit: 'tcp://10.9.9.8:2375', env: {}, dockerConfigDir: dir });
  assert.equal(p.dockerodeOptions.protocol, 'http');
});
