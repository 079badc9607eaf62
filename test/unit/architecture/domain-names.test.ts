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
 *   (undotted words such as `relay` or `message` are also a path kind or a WebSocket event elsewhere);
 * - one of another domain's names where a kind is named (`kind: 'x'`, `kind === 'x'`, `z.literal('x')`,
 *   `Change<'x'`): its name, its folder, its methods' prefixes (`forward` of `forward.add`) and the
 *   kinds its piece brings (notice kinds, audit kinds, its settings sections and their change kinds;
 *   ADR 0093), so the audit log's, the notices' and the state's kinds are the pieces' and not listed
 *   below them;
 * - one of another domain's settings sections as a key of the settings (`forwards:`, `.forwards`,
 *   `'forwards'`), or its name or folder next to `Settings` (`Omit<Settings, 'forwards'>`).
 *
 * Each finding names the file and the line. The renderer's shared layer (src-renderer/api/) is held
 * to the same for the streaming methods: the transport takes them from the contract (ADR 0090).
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
  /** What names the domain where a kind is named. */
  kinds: Set<string>;
  /** Its sections of the settings (ContractPiece.settings). */
  sections: Set<string>;
}

const vocabularies: Vocabulary[] = domains.map((d) => {
  const names = [
    ...Object.keys(d.contract.methods ?? {}),
    ...Object.keys(d.contract.streams ?? {}),
    ...Object.keys(d.contract.events ?? {}),
  ];
  const sections = Object.entries(d.contract.settings ?? {});
  return {
    folder: d.folder,
    // A connection kind a piece gives a policy (`terminal-served`) is as distinctive as a dotted name.
    dotted: new Set([...names.filter((n) => n.includes('.')), ...Object.keys(d.contract.connections ?? {})]),
    words: new Set([...Object.keys(d.contract.permissions ?? {}), ...names.filter((n) => !n.includes('.'))]),
    kinds: new Set([
      d.name,
      d.folder,
      ...[...Object.keys(d.contract.methods ?? {}), ...Object.keys(d.contract.streams ?? {})].map(
        (m) => m.split('.')[0]!,
      ),
      ...Object.keys(d.contract.notices ?? {}),
      ...Object.keys(d.contract.audit ?? {}),
      ...sections.flatMap(([key, section]) => ('change' in section ? [key, section.change] : [key])),
    ]),
    sections: new Set(sections.map(([key]) => key)),
  };
});

const quoted = (word: string) => `['"\`]${word}['"\`]`;

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

/**
 * What `file` (a path under src-main/) names, in `text`, of domains that are not its own nor below its
 * own: `line N: what`.
 */
function namedIn(file: string, text: string): string[] {
  const own = file.split('/')[0]!;
  const others = vocabularies.filter((v) => v.folder !== own && !builtOn(own).has(v.folder));
  // Comments say why, and may name anything: only code counts (blanked, so the lines stay where they are).
  const blank = (comment: string) => comment.replace(/[^\n]/g, ' ');
  const code = text
    .replace(/\/\*[\s\S]*?\*\//g, blank)
    .replace(/(^|[^:'"`])(\/\/.*)$/gm, (_, before: string, comment: string) => before + blank(comment));
  const found: { at: number; what: string }[] = [];
  const add = (m: RegExpExecArray, what: string) => found.push({ at: m.index, what });
  for (const m of code.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!));
    const folder = target.split('/')[0]!;
    if (others.some((v) => v.folder === folder)) add(m, `imports ${m[1]}`);
  }
  for (const m of code.matchAll(/['"`]([\w.-]+)['"`]/g)) {
    const name = m[1]!;
    const owner = others.find((v) => v.dotted.has(name));
    if (owner) add(m, `'${name}' (${owner.folder})`);
  }
  const context =
    /(?:allow|permission|Permission|emit\(|ApiEvents\[|event ===)[^;\n]{0,60}?['"]([\w-]+)['"]/g;
  for (const m of code.matchAll(context)) {
    const owner = others.find((v) => v.words.has(m[1]!));
    if (owner) add(m, `'${m[1]}' (${owner.folder})`);
  }
  for (const v of others) {
    for (const word of v.kinds) {
      const kind = new RegExp(`(?:\\bkind\\b[^;\\n]{0,30}?|z\\.literal\\(|Change<)${quoted(word)}`, 'g');
      for (const m of code.matchAll(kind)) add(m, `kind '${word}' (${v.folder})`);
      const inSettings = new RegExp(`\\bSettings\\b[^;\\n]{0,80}?${quoted(word)}`, 'g');
      for (const m of code.matchAll(inSettings)) add(m, `settings' '${word}' (${v.folder})`);
    }
    for (const key of v.sections) {
      const section = new RegExp(`${quoted(key)}|\\.${key}\\b|(?:^|[\\s{,])${key}\\??:`, 'gm');
      for (const m of code.matchAll(section)) add(m, `settings' ${key} (${v.folder})`);
    }
  }
  const lineOf = (at: number) => code.slice(0, at).split('\n').length;
  return found
    .sort((a, b) => a.at - b.at)
    .map(({ at, what }) => `line ${lineOf(at)}: ${what}`)
    .filter((line, i, all) => all.indexOf(line) === i);
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
  assert.deepEqual(namedIn('links/x.ts', "const m = 'files.send';"), ["line 1: 'files.send' (files)"]);
  assert.deepEqual(namedIn('api/x.ts', "const s = { 'terminal.attach': 1 };"), [
    "line 1: 'terminal.attach' (terminal)",
  ]);
  assert.deepEqual(namedIn('state/x.ts', "if (peer.allow.includes('message')) go();"), [
    "line 1: 'message' (messages)",
  ]);
  assert.deepEqual(namedIn('api/x.ts', "import { z } from '../terminal/terminal-contract.js';"), [
    'line 1: imports ../terminal/terminal-contract.js',
  ]);
  assert.deepEqual(namedIn('files/x.ts', "const m = 'files.send'; // 'messages.send'"), []);
  assert.deepEqual(namedIn('share/x.ts', "import { FORWARDS } from '../forwards/forwards-domain.js';"), []);
  // Not one it does not build on, though that one sits below it.
  assert.deepEqual(namedIn('share/x.ts', "const m = 'files.send';"), ["line 1: 'files.send' (files)"]);
});

test('the check sees a domain named where a kind or a settings section is named, on its line', () => {
  const audit =
    "/** A record\n * of kind 'terminal' */\nconst s = z.object({\n  kind: z.literal('terminal'),\n});";
  assert.deepEqual(namedIn('audit/x.ts', audit), ["line 4: kind 'terminal' (terminal)"]);
  assert.deepEqual(namedIn('app/x.ts', "sink.record({ kind: 'terminal', phase: 'start' });"), [
    "line 1: kind 'terminal' (terminal)",
  ]);
  assert.deepEqual(namedIn('state/x.ts', "type C = Change<'forward', Entry>;"), [
    "line 1: kind 'forward' (forwards)",
  ]);
  assert.deepEqual(namedIn('state/x.ts', "type O = Omit<Settings, 'peers' | 'forwards'>;"), [
    "line 1: settings' 'forwards' (forwards)",
    "line 1: settings' forwards (forwards)",
  ]);
  assert.deepEqual(namedIn('state/x.ts', 'const n = s.forwards.length;\nconst t = { forwards: [] };'), [
    "line 1: settings' forwards (forwards)",
    "line 2: settings' forwards (forwards)",
  ]);
  // A word that is a kind only where a kind is named: a WebSocket's `message` event is none.
  assert.deepEqual(namedIn('api/x.ts', "ws.on('message', onMessage);"), []);
  assert.deepEqual(namedIn('forwards/x.ts', "const c: Change<'forward', F> = { kind: 'forward' };"), []);
});

/** The renderer's shared layer (transport, client, store), which every feature's views sit on. */
const rendererApi = path.join(root, 'src-renderer', 'api');

test("the renderer's shared layer names no domain's streaming method: the transport takes them from the contract", () => {
  const streams = domains.flatMap((d) => Object.keys(d.contract.streams ?? {}));
  assert.ok(streams.length > 0, 'some domain brings a stream');
  const offences = readdirSync(rendererApi)
    .filter((f) => /\.tsx?$/.test(f))
    .flatMap((f) =>
      readFileSync(path.join(rendererApi, f), 'utf8')
        .split('\n')
        .flatMap((line, i) =>
          streams
            .filter((m) => line.includes(`'${m}'`))
            .map((m) => `src-renderer/api/${f}: line ${i + 1}: '${m}'`),
        ),
    );
  assert.deepEqual(offences, []);
});
