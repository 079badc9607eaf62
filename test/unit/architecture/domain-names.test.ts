/**
 * No file in src-main/ names a domain it does not belong to (docs/architecture.md §Adding a domain,
 * ADR 0085), outside the list (app/domains.ts) and the entry points (cli/, electron/), which name
 * domains by design. "Names" here is what this test can see in the source:
 *
 * - an import (static, dynamic or of types) from another domain's folder;
 * - one of another domain's method, streaming method or event names written as a string (their
 *   contract pieces list them: `'files.send'`, `'terminal.open'`, `'message.state'`; dotted, so never
 *   anything else);
 * - one of another domain's permission words or undotted event names where a permission or an event
 *   is named: next to `allow`, `permission`, `Permission`, `emit(`, `ApiEvents[` or `event ===`
 *   (undotted words such as `relay` or `message` are also a path kind or a WebSocket event elsewhere).
 *
 * A domain's folder may name the domains it builds on (its description's `builtOn`, and what those
 * build on: share rides on forwards' reverse forwards); its layer sits above theirs (scripts/layers.mjs).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { domains } from '../../../src-main/app/domains.js';
import { layers } from '../../../scripts/layers.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const src = path.join(root, 'src-main');

/** Where domains are named by design. */
const EXEMPT = ['app/domains.ts', 'cli/', 'electron/'];

interface Vocabulary {
  folder: string;
  dotted: Set<string>;
  words: Set<string>;
}

const vocabularies: Vocabulary[] = domains.map((d) => {
  const names = [
    ...Object.keys(d.contract.methods ?? {}),
    ...Object.keys(d.contract.streams ?? {}),
    ...Object.keys(d.contract.events ?? {}),
  ];
  return {
    folder: d.folder,
    // A connection kind a piece gives a policy (`terminal-served`) is as distinctive as a dotted name.
    dotted: new Set([...names.filter((n) => n.includes('.')), ...Object.keys(d.contract.connections ?? {})]),
    words: new Set([...Object.keys(d.contract.permissions ?? {}), ...names.filter((n) => !n.includes('.'))]),
  };
});

const layerIndex = (folder: string) => layers.findIndex((l) => l.folders.includes(folder));

/** The domains' folders `folder`'s domain builds on, and what those build on. */
function builtOn(folder: string, seen = new Set<string>()): Set<string> {
  for (const on of domains.find((d) => d.folder === folder)?.builtOn ?? [])
    if (!seen.has(on)) builtOn(on, seen.add(on));
  return seen;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|cts)$/.test(e.name) ? [path.relative(src, p).split(path.sep).join('/')] : [];
  });
}

/** What `file` (a path under src-main/) names, in `text`, of domains that are not its own nor below its own. */
function namedIn(file: string, text: string): string[] {
  const own = file.split('/')[0]!;
  const others = vocabularies.filter((v) => v.folder !== own && !builtOn(own).has(v.folder));
  // Comments say why, and may name anything: only code counts.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const found: string[] = [];
  for (const m of code.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!));
    const folder = target.split('/')[0]!;
    if (others.some((v) => v.folder === folder)) found.push(`imports ${m[1]}`);
  }
  for (const m of code.matchAll(/['"`]([\w.-]+)['"`]/g)) {
    const name = m[1]!;
    const owner = others.find((v) => v.dotted.has(name));
    if (owner) found.push(`'${name}' (${owner.folder})`);
  }
  const context =
    /(?:allow|permission|Permission|emit\(|ApiEvents\[|event ===)[^;\n]{0,60}?['"]([\w-]+)['"]/g;
  for (const m of code.matchAll(context)) {
    const owner = others.find((v) => v.words.has(m[1]!));
    if (owner) found.push(`'${m[1]}' (${owner.folder})`);
  }
  return found;
}

test('each domain in app/domains.ts brings its vocabulary from its own folder', () => {
  for (const v of vocabularies) {
    assert.ok(layerIndex(v.folder) >= 0, `${v.folder}/ is a layer of scripts/layers.mjs`);
  }
  // Every method, event and word is some domain's, once.
  const all = vocabularies.flatMap((v) => [...v.dotted, ...v.words]);
  assert.deepEqual(
    all.filter((n, i) => all.indexOf(n) !== i),
    [],
    'names two domains bring',
  );
});

test('no file in src-main/ names a domain it does not belong to, outside app/domains.ts, cli/ and electron/', () => {
  const offences = sourceFiles(src)
    .filter((f) => !EXEMPT.some((e) => (e.endsWith('/') ? f.startsWith(e) : f === e)))
    .flatMap((f) => namedIn(f, readFileSync(path.join(src, f), 'utf8')).map((what) => `${f}: ${what}`));
  assert.deepEqual(offences, []);
});

test('the check sees a domain named outside its folder, and not inside it', () => {
  assert.deepEqual(namedIn('links/x.ts', "const m = 'files.send';"), ["'files.send' (files)"]);
  assert.deepEqual(namedIn('api/x.ts', "const s = { 'terminal.attach': 1 };"), [
    "'terminal.attach' (terminal)",
  ]);
  assert.deepEqual(namedIn('state/x.ts', "if (peer.allow.includes('message')) go();"), [
    "'message' (messages)",
  ]);
  assert.deepEqual(namedIn('api/x.ts', "import { z } from '../terminal/terminal-contract.js';"), [
    'imports ../terminal/terminal-contract.js',
  ]);
  assert.deepEqual(namedIn('files/x.ts', "const m = 'files.send'; // 'messages.send'"), []);
  assert.deepEqual(namedIn('share/x.ts', "import { FORWARDS } from '../forwards/forwards-domain.js';"), []);
  // Not one it does not build on, though that one sits below it.
  assert.deepEqual(namedIn('share/x.ts', "const m = 'files.send';"), ["'files.send' (files)"]);
});
