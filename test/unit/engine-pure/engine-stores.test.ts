// What differs between engines, as pure mappings: Podman's (Buildah's) history and step lines,
// the label entries our builds leave, sizes from history, pull sizes from an inspect's
// manifests, and how the store and product are told apart. The arrays are captured from real
// answers of Podman 4.3.1 and Docker 28.5.2 (containerd store) on this machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from '../../../src/core/dockerfile/parse';
import { classicBuildText, classicStepInstruction, historyKeyword, mapHistoryToLayers, parseClassicStep, type HistoryEntry } from '../../../src/core/layermap';
import { engineLabel, formatSizeWithPull } from '../../../src/core/report';
import { isStageLensTag } from '../../../src/engine/cleanup';
import Dockerode from 'dockerode';
import { dockerodeOptionsFor, engineProductOf, imageStoreOf, resolveEndpoint } from '../../../src/engine/connection';
import { explainBuildError, isTarContextUnreadable } from '../../../src/engine/errors';
import { knowsPullSize, pullSizeFromManifests, unpackedSize } from '../../../src/engine/measure';

const DF = parseDockerfile([
  'FROM busybox AS base', //                                  1
  'RUN head -c 8000000 /dev/urandom > /base.bin', //          2
  'ENV A=1', //                                               3
  '', //                                                      4
  'FROM base AS deps', //                                     5
  'RUN head -c 16000000 /dev/urandom > /deps.bin', //         6
  'WORKDIR /app', //                                          7
  '', //                                                      8
  'FROM deps AS build', //                                    9
  'COPY Dockerfile /app/', //                                 10
  'RUN echo built > /app/out', //                             11
  '', //                                                      12
  'FROM busybox AS final', //                                 13
  'COPY --from=build /app/out /out', //                       14
  'CMD ["cat", "/out"]', //                                   15
  '',
].join('\n'));

const h = (createdBy: string, sizeBytes = 0): HistoryEntry => ({ createdBy, sizeBytes });
// Podman 4.3.1: the base image entry has an empty CreatedBy; RUN is the bare command.
const PODMAN_BUILD = [
  h('', 2129920),
  h('/bin/sh -c head -c 8000000 /dev/urandom > /base.bin', 8005632),
  h('/bin/sh -c #(nop) ENV A=1'),
  h('/bin/sh -c head -c 16000000 /dev/urandom > /deps.bin', 16002048),
  h('/bin/sh -c #(nop) WORKDIR /app'),
  h('/bin/sh -c #(nop) COPY file:206b0af754e9b22421dccf395c98f97e9b96631dbaa76821567959cf73acb8e4 in /app/ ', 2560),
  h('/bin/sh -c echo built > /app/out', 3072),
];
// Buildah writes one `#(nop) LABEL` entry per build label, quoted.
const PODMAN_FINAL = [
  h('', 2129920),
  h('/bin/sh -c #(nop) COPY file:55e985192218305ae6a7e15d4dbc5abea96c15b1b7 in /out ', 2048),
  h('/bin/sh -c #(nop) CMD ["cat", "/out"]'),
  h('/bin/sh -c #(nop) LABEL "com.stagelens.managed"="true"'),
  h('/bin/sh -c #(nop) LABEL "com.stagelens.dockerfile"="/w/Dockerfile"'),
  h('/bin/sh -c #(nop) LABEL "com.stagelens.stage"="final"'),
  h('/bin/sh -c #(nop) LABEL "com.stagelens.hash"="5030d30cdc889dbc"'),
];

test('Podman history: RUN entries are the bare command and map to their lines, base entries stay base', () => {
  assert.equal(historyKeyword('/bin/sh -c head -c 8 /dev/zero > /x', 'buildah'), 'RUN');
  assert.equal(historyKeyword('/bin/sh -c #(nop) WORKDIR /app', 'buildah'), 'WORKDIR');
  assert.equal(historyKeyword('/bin/sh -c head -c 8 /dev/zero > /x', 'buildkit'), null, 'BuildKit never writes a bare command');
  const layers = mapHistoryToLayers({ df: DF, stage: 2, builder: 'buildah', history: PODMAN_BUILD, rootBaseLayers: 1 });
  assert.deepEqual(layers.map((l) => [l.line, l.fromBase]), [[null, true], [null, true], [null, true], [null, true], [null, true], [10, false], [11, false]]);
  const deps = mapHistoryToLayers({ df: DF, stage: 1, builder: 'buildah', history: PODMAN_BUILD.slice(0, 5), rootBaseLayers: 1 });
  const big = deps.find((l) => l.sizeBytes === 16002048)!;
  assert.equal(big.line, 6);
  assert.equal(big.instruction, 'RUN head -c 16000000 /dev/urandom > /deps.bin');
  assert.deepEqual(deps.find((l) => l.sizeBytes === 8005632)!.origin, { stage: 0, line: 2, endLine: 2 });
});

test('our com.stagelens.* label entries (one per label on Podman) are marked, not shown as instructions', () => {
  const layers = mapHistoryToLayers({ df: DF, stage: 3, builder: 'buildah', history: PODMAN_FINAL, rootBaseLayers: 1 });
  assert.deepEqual(layers.map((l) => l.line), [null, 14, 15, null, null, null, null]);
  assert.deepEqual(layers.slice(3).map((l) => [l.buildLabel, l.instruction, l.fromBase]), Array(4).fill([true, null, false]));
  // A user LABEL is an instruction even when it is the last entry.
  const df = parseDockerfile('FROM busybox\nLABEL com.example.x=1\n');
  const own = mapHistoryToLayers({ df, stage: 0, builder: 'buildah', history: [h('', 5), h('/bin/sh -c #(nop) LABEL "com.example.x"="1"')], rootBaseLayers: 1 });
  assert.equal(own[1]!.line, 2);
  assert.equal(own[1]!.buildLabel, undefined);
});

test('Buildah step lines ([k/N] STEP i/n:) map to the instruction of the k-th built stage', () => {
  const step = parseClassicStep('[2/3] STEP 2/3: RUN head -c 16000000 /dev/urandom > /deps.bin');
  assert.deepEqual(step, { step: 2, total: 3, text: 'RUN head -c 16000000 /dev/urandom > /deps.bin', buildahStage: { position: 2, count: 3 } });
  const built = parseDockerfile(classicBuildText(DF, new Set([0, 1, 2])));
  assert.equal(classicStepInstruction(built, parseClassicStep('[3/3] STEP 2/3: COPY Dockerfile /app/')!)?.line, 10);
  assert.equal(classicStepInstruction(built, parseClassicStep('[1/3] STEP 3/3: ENV A=1')!)?.line, 3);
  // Stage numbers that do not fit the text still find the instruction by its text.
  assert.equal(classicStepInstruction(DF, parseClassicStep('[9/9] STEP 2/2: RUN echo built > /app/out')!)?.line, 11);
  // Single-stage output has no [k/N] prefix.
  const single = parseDockerfile('FROM busybox\nRUN true\n');
  assert.equal(classicStepInstruction(single, parseClassicStep('STEP 2/2: RUN true')!)?.line, 2);
  assert.equal(parseClassicStep('--> Using cache 5db65a3ccb40'), null);
});

test('the unpacked size is the sum of the history sizes; the pull size is the image manifest\'s content size', () => {
  assert.equal(unpackedSize(PODMAN_BUILD), 2129920 + 8005632 + 16002048 + 2560 + 3072);
  assert.equal(unpackedSize([h('a', -1), h('b', 7)]), 7, 'a missing (-1) size adds nothing');
  // Docker 28.5 `GET /images/{id}/json?manifests=1` of the deps stage.
  const manifests = [
    { ID: 'sha256:aa', Kind: 'image', Available: true, Size: { Content: 1132261, Total: 28341989 }, ImageData: { Platform: { os: 'linux', architecture: 'amd64' } } },
    { ID: 'sha256:bb', Kind: 'attestation', Available: true, Size: { Content: 1909, Total: 1909 } },
  ];
  assert.equal(pullSizeFromManifests(manifests), 1132261);
  const multi = [
    { Kind: 'image', Available: true, Size: { Content: 10 }, ImageData: { Platform: { os: 'linux', architecture: 'arm64' } } },
    { Kind: 'image', Available: true, Size: { Content: 20 }, ImageData: { Platform: { os: 'linux', architecture: 'amd64' } } },
  ];
  assert.equal(pullSizeFromManifests(multi, { os: 'linux', architecture: 'amd64' }), 20);
  assert.equal(pullSizeFromManifests(multi, {}), null, 'several platforms and none named: unknown, not a guess');
  assert.equal(pullSizeFromManifests(undefined), null);
  assert.equal(knowsPullSize({ product: 'docker', store: 'containerd', apiVersion: '1.51' }), true);
  assert.equal(knowsPullSize({ product: 'docker', store: 'containerd', apiVersion: '1.45' }), false, 'Docker 26.1 has no manifests=1');
  assert.equal(knowsPullSize({ product: 'docker', store: 'overlay2', apiVersion: '1.51' }), false);
  assert.equal(knowsPullSize({ product: 'podman', store: 'overlay', apiVersion: '1.41' }), false);
});

test('store and product come from /info and /version as each engine answers', () => {
  assert.equal(imageStoreOf({ Driver: 'overlayfs', DriverStatus: [['driver-type', 'io.containerd.snapshotter.v1']] }), 'containerd');
  assert.equal(imageStoreOf({ Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true']] }), 'overlay2');
  assert.equal(imageStoreOf({ Driver: 'overlay', DriverStatus: [['Native Overlay Diff', 'true']] }), 'overlay');
  assert.equal(imageStoreOf(null), null);
  assert.deepEqual(engineProductOf({ Version: '4.3.1', Components: [{ Name: 'Podman Engine', Version: '4.3.1' }, { Name: 'Conmon', Version: 'x' }] }), { product: 'podman', version: '4.3.1' });
  assert.deepEqual(engineProductOf({ Version: '28.5.2', Components: [{ Name: 'Engine', Version: '28.5.2' }, { Name: 'containerd', Version: '2.1.9' }] }), { product: 'docker', version: '28.5.2' });
  assert.equal(engineLabel({ version: '4.3.1', builder: 'buildah', product: 'podman', store: 'overlay' }), 'Podman 4.3.1 (Buildah)');
  assert.equal(engineLabel({ version: '28.5.2', builder: 'buildkit', product: 'docker', store: 'containerd' }), 'Docker 28.5.2 (BuildKit, containerd image store)');
  assert.equal(engineLabel({ version: '20.10.24', builder: 'classic' }), 'Docker 20.10.24 (classic builder)', 'a schema-1 report has no product');
  assert.equal(formatSizeWithPull(170_000_000, 61_000_000), '170 MB · pull 61 MB');
  assert.equal(formatSizeWithPull(170_000_000, null), '170 MB');
  assert.equal(formatSizeWithPull(170_000_000, undefined), '170 MB');
});

test('cleanup knows our tags in Docker\'s familiar and Podman\'s qualified forms, nobody else\'s', () => {
  for (const t of ['stagelens/5030d30cdc88:deps', 'docker.io/stagelens/5030d30cdc88:deps', 'localhost/stagelens/5030d30cdc88:0']) assert.ok(isStageLensTag(t), t);
  for (const t of ['busybox:latest', 'example.com/stagelens/x:1', 'docker.io/me/stagelens:1', 'stagelens-fixture/busybox:latest']) assert.ok(!isStageLensTag(t), t);
});

test('Docker 26.1\'s tar-context failure on the containerd store is explained, once, as global', () => {
  const msg = 'failed to read downloaded context: failed to load cache key: Get "http://build-context-k3x9": dial tcp: lookup build-context-k3x9 on 127.0.0.53:53: no such host';
  assert.ok(isTarContextUnreadable(msg));
  const e = explainBuildError(DF, msg, null)!;
  assert.match(e.message, /--builder classic/);
  assert.equal(e.global, true);
  assert.equal(explainBuildError(DF, 'process "/bin/sh -c false" did not complete successfully: exit code: 1', null), null);
});

test('no API version is pinned: requests go unversioned, so the engine answers in its own (29.0–29.2 refuse < 1.44)', () => {
  for (const url of ['unix:///run/x.sock', 'tcp://10.0.0.5:2375']) {
    const modem = (new Dockerode(dockerodeOptionsFor(url)) as unknown as { modem: { version?: string } }).modem;
    assert.equal(modem.version, undefined, url);
  }
  const resolved = resolveEndpoint({ explicit: 'unix:///run/x.sock', env: {} });
  assert.equal((resolved.dockerodeOptions as { version?: string }).version, undefined);
});
