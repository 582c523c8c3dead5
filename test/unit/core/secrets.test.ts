import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskSecretArgs, maskSecretsInText, MASK } from '../../../src/core/secrets';

test('secret-looking build args are masked, others kept', () => {
  assert.deepEqual(maskSecretArgs({ NPM_TOKEN: 'abc123', DB_PASSWORD: 'pw', VERSION: '1.2' }), { NPM_TOKEN: MASK, DB_PASSWORD: MASK, VERSION: '1.2' });
});

test('secret values vanish from free text, including NAME=value pairs', () => {
  const t = maskSecretsInText('|2 API_KEY=s3cr3t V=1 /bin/sh -c curl -H "x: s3cr3t" && echo GITHUB_TOKEN=ghp_x', { API_KEY: 's3cr3t' });
  assert.ok(!t.includes('s3cr3t'));
  assert.ok(!t.includes('ghp_x'));
  assert.ok(t.includes('V=1'));
});
