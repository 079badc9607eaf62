/**
 * `npm start` (scripts/start.mjs): what it does next for each situation a new user can be in, and the
 * binary it finds in an electron package laid out like Electron 45's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { electronBinary, nextStep, versionAtLeast, type StartFacts } from '../../../scripts/start.mjs';
import { tempDir } from '../../helpers/temp-dir.js';

const facts = (over: Partial<StartFacts>): StartFacts => ({
  nodeVersion: 'v22.12.0',
  electronPackage: true,
  binary: undefined,
  downloadError: undefined,
  ...over,
});

test('versions compare by number, with or without the v', () => {
  assert.equal(versionAtLeast('v22.12.0', '22.12.0'), true);
  assert.equal(versionAtLeast('v22.9.0', '22.12.0'), false);
  assert.equal(versionAtLeast('v20.19.1', '22.12.0'), false);
  assert.equal(versionAtLeast('24.0.0', '22.12.0'), true);
  assert.equal(versionAtLeast('v22.12.1', '22.12.0'), true);
});

test('a present binary runs, whatever the Node version', () => {
  assert.deepEqual(nextStep(facts({ nodeVersion: 'v20.19.0', binary: '/x/electron' })), {
    action: 'run',
    binary: '/x/electron',
  });
});

test('a missing binary is downloaded once on Node ≥ 22.12', () => {
  assert.deepEqual(nextStep(facts({})), { action: 'download' });
});

test('each failure is one line: what happened, then what to do', () => {
  const cases: [Partial<StartFacts>, RegExp][] = [
    [
      { nodeVersion: 'v20.20.2' },
      /installer needs Node ≥ 22\.12\.0 \(this is Node v20\.20\.2\): run npm start with Node ≥ 22\.12/,
    ],
    [
      { downloadError: 'fetch failed' },
      /its download failed \(fetch failed\): with network access run "npx --no install-electron" here, then npm start/,
    ],
    [{ electronPackage: false }, /not installed: run "npm install" here first/],
  ];
  for (const [over, re] of cases) {
    const step = nextStep(facts(over));
    assert.equal(step.action, 'fail');
    if (step.action !== 'fail') continue;
    assert.match(step.line, re);
    assert.match(step.line, /^npm start: /);
    assert.doesNotMatch(step.line, /\n/);
    // Without Electron, the same window is still there: in a browser, through the CLI's agent.
    if (over.electronPackage !== false) assert.match(step.line, /node bin\/clawbridge\.js ui/);
  }
});

test('the binary is dist/ + path.txt, only when that file exists', () => {
  const dir = tempDir('cb-electron-');
  assert.equal(electronBinary(dir, {}), undefined);
  writeFileSync(join(dir, 'path.txt'), 'electron');
  assert.equal(electronBinary(dir, {}), undefined, 'path.txt without the binary (a failed download)');
  mkdirSync(join(dir, 'dist'));
  writeFileSync(join(dir, 'dist', 'electron'), '');
  assert.equal(electronBinary(dir, {}), join(dir, 'dist', 'electron'));
  assert.equal(electronBinary(dir, { ELECTRON_OVERRIDE_DIST_PATH: '/opt/e' }), '/opt/e/electron');
});
