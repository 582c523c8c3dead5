// Golden tests: each fixtures/<name>.Dockerfile has its reviewed rewrite in
// fixtures/<name>.expected. Regenerate with UPDATE_GOLDEN=1 and review the diff.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDockerfile } from '../../../src/core/dockerfile/parse';
import { applyEdits, refactorToMultiStage } from '../../../src/core/refactor';

const dir = join(__dirname, 'fixtures');
const expectedEcosystem: Record<string, string> = {
  'python-seed': 'python', 'python-apt-runtime': 'python', 'alpine-python': 'python', node: 'node', 'node-yarn': 'node',
  go: 'go', 'go-shell': 'go', rust: 'rust', java: 'java', unknown: 'unknown', 'unknown-unsplittable-python': 'python',
};

for (const file of readdirSync(dir).filter((f) => f.endsWith('.Dockerfile')).sort()) {
  const name = file.replace(/\.Dockerfile$/, '');
  test(`rewrite of ${file} matches ${name}.expected`, () => {
    const input = readFileSync(join(dir, file), 'utf8');
    const r = refactorToMultiStage(input);
    const expectedPath = join(dir, `${name}.expected`);
    if (process.env.UPDATE_GOLDEN) writeFileSync(expectedPath, r.text);
    // A missing expected file is a failure, not a new baseline: review it with UPDATE_GOLDEN=1.
    assert.ok(existsSync(expectedPath), `${name}.expected is missing; run with UPDATE_GOLDEN=1 and review it`);
    assert.equal(r.text, readFileSync(expectedPath, 'utf8'));
    assert.equal(r.ecosystem, expectedEcosystem[name], 'ecosystem');
    assert.equal(r.changed, true);
    assert.equal(applyEdits(input, r.edits), r.text, 'edits reproduce the text');
    const df = parseDockerfile(r.text);
    assert.deepEqual(df.problems, []);
    assert.equal(df.syntax, null, 'no # syntax line (offline BuildKit)');
    assert.equal(refactorToMultiStage(r.text).changed, false, 'idempotent');
    if (name.startsWith('unknown')) {
      assert.equal(df.stages.length, 1);
      assert.ok(r.notes.some((n) => /cannot split/i.test(n)));
    } else {
      assert.ok(df.stages.length >= 2);
      assert.ok(r.summary.length > 0);
    }
  });
}
