// `stagelens suggest --format sarif` validates against the OASIS SARIF 2.1.0 schema (vendored in
// test/fixtures/sarif with its licence) and carries what code-scanning UIs read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { run } from '../../../src/cli/suggest';
import { analyzeDockerfile, RULES } from '../../../src/core/suggest';
import { toSarif } from '../../../src/core/suggest/sarif';

const root = join(__dirname, '..', '..', '..');
const schema = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'sarif', 'sarif-schema-2.1.0.json'), 'utf8')) as object;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(schema);

async function suggestSarif(file: string): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await run([file, '--format', 'sarif'], { out: (s) => { out += s; }, err: () => {} }, new AbortController().signal);
  return { code, out };
}

interface Result { ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number; startColumn: number; endLine: number; endColumn: number } } }>; properties: { hadolint: string | null }; taxa?: Array<{ id: string }>; fixes?: unknown[] }

test('the seed\'s single-stage Dockerfile: valid SARIF 2.1.0 with ranges, rule ids and hadolint codes', async () => {
  const file = join(root, 'examples', 'Dockerfile.single-stage');
  const { code, out } = await suggestSarif(file);
  assert.equal(code, 0);
  const log = JSON.parse(out) as { version: string; runs: Array<{ tool: { driver: { name: string; rules: Array<{ id: string }> } }; results: Result[] }> };
  const ok = validate(log);
  assert.ok(ok, JSON.stringify(validate.errors?.slice(0, 5), null, 2));
  assert.equal(log.version, '2.1.0');
  const runLog = log.runs[0]!;
  assert.deepEqual(runLog.tool.driver.rules.map((r) => r.id), RULES.map((r) => r.id));
  // Same findings, same places, as the plain analysis.
  const text = readFileSync(file, 'utf8');
  const findings = analyzeDockerfile(text, { contextFiles: { hasDockerignore: true, entries: [] } });
  assert.ok(findings.length >= 3, 'the seed has several findings');
  for (const f of findings.filter((x) => x.id !== 'no-dockerignore')) {
    const r = runLog.results.find((x) => x.ruleId === f.id && x.locations[0]!.physicalLocation.region.startLine === f.line);
    assert.ok(r, `result for ${f.id} at line ${f.line}`);
    assert.equal(runLog.tool.driver.rules[r.ruleIndex]!.id, f.id);
    assert.equal(r.locations[0]!.physicalLocation.region.endLine, f.endLine);
    assert.equal(r.locations[0]!.physicalLocation.region.startColumn, f.range.start.character + 1);
    assert.equal(r.level, f.severity === 'warning' ? 'warning' : 'note');
    assert.equal(r.properties.hadolint, f.hadolint);
    if (f.hadolint) { assert.deepEqual(r.taxa?.map((t) => t.id), [f.hadolint]); assert.ok(r.message.text.includes(f.hadolint)); }
  }
  assert.ok(runLog.results.some((r) => r.properties.hadolint === 'DL3015'), 'apt-get without --no-install-recommends maps to DL3015');
  assert.ok(runLog.results.every((r) => r.locations[0]!.physicalLocation.artifactLocation.uri.endsWith('examples/Dockerfile.single-stage')));
});

test('fixes become SARIF artifact changes; the schema rejects a broken log (the validator is live)', () => {
  const text = 'FROM python:3.12\nRUN apt-get update && apt-get install -y gcc\nADD app.py /app/\n';
  const findings = analyzeDockerfile(text, {});
  const log = toSarif(findings, { artifactUri: 'Dockerfile', uriBaseId: '%SRCROOT%', toolVersion: '0.1.0' });
  assert.ok(validate(log), JSON.stringify(validate.errors?.slice(0, 5)));
  const withFix = log.runs[0]!.results.find((r) => Array.isArray(r.fixes)) as { fixes: Array<{ artifactChanges: Array<{ replacements: Array<{ deletedRegion: { startLine: number } }> }> }> } | undefined;
  assert.ok(withFix, 'a finding with a fix');
  assert.ok(withFix.fixes[0]!.artifactChanges[0]!.replacements[0]!.deletedRegion.startLine >= 1);
  const broken = JSON.parse(JSON.stringify(log)) as { runs: Array<{ results: Array<{ level: string; locations: Array<{ physicalLocation: { region: { startLine: number } } }> }> }> };
  broken.runs[0]!.results[0]!.level = 'fatal';
  broken.runs[0]!.results[0]!.locations[0]!.physicalLocation.region.startLine = 0;
  assert.equal(validate(broken), false);
  assert.ok((validate.errors ?? []).length >= 2);
});

test('--format rejects unknown formats with exit 2', async () => {
  await assert.rejects(run(['x', '--format', 'xml'], { out: () => {}, err: () => {} }, new AbortController().signal), /--format must be text, json or sarif/);
});
