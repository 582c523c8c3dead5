// A failed RUN reads the same on Docker (BuildKit) and Podman (Buildah): "exit code: N".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from '../../../src/core/dockerfile/parse';
import { buildahExitStatus, explainBuildError } from '../../../src/engine/errors';

const DF = parseDockerfile('FROM busybox AS a\nRUN echo hi\nRUN exit 7\n');

test('Buildah\'s "exit status N" becomes BuildKit\'s "exit code: N", the engine text kept', () => {
  const msg = 'building at STEP "RUN exit 7": while running runtime: exit status 7';
  assert.equal(buildahExitStatus(msg), 7);
  const e = explainBuildError(DF, msg, null)!;
  assert.match(e.message, /did not complete successfully: exit code: 7\. Engine \(Buildah\): building at STEP "RUN exit 7"/);
  assert.equal(e.global, false);
  assert.equal(e.line, null, 'the line comes from the build step, not from this text');
});

test('BuildKit\'s own wording and unrelated Buildah errors are left alone', () => {
  assert.equal(buildahExitStatus('process "/bin/sh -c exit 7" did not complete successfully: exit code: 7'), null);
  assert.equal(explainBuildError(DF, 'process "/bin/sh -c exit 7" did not complete successfully: exit code: 7', null), null);
  assert.equal(buildahExitStatus('building at STEP "COPY x /x": checking on sources under "/ctx": copier: stat: "/x": no such file or directory'), null);
  assert.equal(buildahExitStatus('exit status 3'), null, 'only a Buildah step failure');
});
