/**
 * No shared file of the window names a feature (docs/architecture.md §A domain's window and commands,
 * ADRs 0086 and 0088): outside `src-renderer/features/<feature>/`, the window takes what the registered
 * features bring. "Names" here is what this test can see in the source:
 *
 * - an import from a feature's folder (its store, its manager, its views);
 * - a feature's place written as a string: a route with parameters or a sub-route (`'pair/new'`,
 *   `'#terminals?open='`), or a feature's id or route where a place is named — next to `go(`, `show(`,
 *   `view`, `route` or `case` (`nav.go('terminals')`, `case 'approvals':`); elsewhere the same words are
 *   the agent's (the store's `settings` part, a `connections` event);
 * - a field of a feature's `Intents` entry next to `intent` or `go(` (`intent: { openTerminal: … }`).
 *
 * The features are the folders under features/; each one's id, routes and intent fields are read from
 * its own files, so a new feature is covered with no change here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { listedDomains } from '../../../scripts/domain-folders.mjs';

const src = fileURLToPath(new URL('../../../src-renderer/', import.meta.url));
const featuresDir = path.join(src, 'features');

interface FeatureVocabulary {
  folder: string;
  /** Its id and the routes of its links (`pair`, `pair/new`, `join`). */
  places: Set<string>;
  /** The fields of its `Intents` entry (`pairMode`, `joinCode`). */
  intentFields: Set<string>;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(e.name) ? [path.relative(src, p).split(path.sep).join('/')] : [];
  });
}

/** Comments say why and may name anything: only code counts. */
const codeOf = (text: string) =>
  text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

function vocabularyOf(folder: string): FeatureVocabulary {
  const dir = path.join(featuresDir, folder);
  const files = sourceFiles(dir).map((f) => readFileSync(path.join(src, f), 'utf8'));
  const declared = readFileSync(path.join(dir, `${folder}-feature.ts`), 'utf8');
  const id = /\bid: '([^']+)'/.exec(declared)?.[1];
  assert.equal(id, folder, `features/${folder}/${folder}-feature.ts declares the id '${folder}'`);
  const places = new Set([id]);
  const intentFields = new Set<string>();
  for (const text of files) {
    for (const m of codeOf(text).matchAll(/\broute: '([^']+)'/g)) places.add(m[1]!);
    // `declare module '…/lib/navigation.js' { interface Intents { <id>: { field?: …; … } } }`
    const intents = /interface Intents \{\s*[\w]+: \{([\s\S]*?)\n {4}\};/.exec(codeOf(text));
    for (const m of intents?.[1]?.matchAll(/^\s*(\w+)\??:/gm) ?? []) intentFields.add(m[1]!);
  }
  return { folder, places, intentFields };
}

const features = readdirSync(featuresDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => vocabularyOf(e.name));

/** What `file` (a path under src-renderer/, outside features/<folder>/) names of the features, in `text`. */
function namedIn(file: string, text: string, vocabularies = features): string[] {
  const code = codeOf(text);
  const found: string[] = [];
  for (const m of code.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!));
    const folder = /^features\/([^/]+)\//.exec(target)?.[1];
    if (folder) found.push(`imports ${m[1]}`);
  }
  const owner = (place: string) => vocabularies.find((v) => v.places.has(place))?.folder;
  // A link or a sub-route: `'#pair'`, `'pair/new'`, `'terminals?open='`.
  for (const m of code.matchAll(/(['"`])(#?)([\w-]+(?:\/[\w-]+)*)([?=][^'"`]*)?\1/g)) {
    const [literal, , hash, place, query] = m;
    const o = owner(place!) ?? owner(place!.split('/')[0]!);
    if (o && (hash || query || place!.includes('/'))) found.push(`${literal} (${o})`);
  }
  for (const m of code.matchAll(
    /(?:\.go\(|\.show\(|\bview\b|\broute\b|\bcase\b)[^;\n]{0,40}?['"`]([\w/-]+)['"`]/g,
  )) {
    const o = owner(m[1]!);
    if (o) found.push(`'${m[1]}' as a place (${o})`);
  }
  for (const line of code.split('\n').filter((l) => /\bintent\b|\.go\(/.test(l))) {
    for (const v of vocabularies) {
      for (const field of v.intentFields) {
        if (new RegExp(`\\b${field}\\b`).test(line)) found.push(`intent field ${field} (${v.folder})`);
      }
    }
  }
  return [...new Set(found)];
}

test("each feature folder declares its id as its folder's name, and brings its places and intents", () => {
  assert.ok(features.length >= 10, features.map((f) => f.folder).join(' '));
  const terminals = features.find((f) => f.folder === 'terminals');
  assert.deepEqual([...terminals!.intentFields], ['openTerminal']);
  // A feature that declares an `Intents` entry has its fields read (none missed by the pattern).
  for (const f of features) {
    const declares = sourceFiles(path.join(featuresDir, f.folder)).some((file) =>
      readFileSync(path.join(src, file), 'utf8').includes('interface Intents'),
    );
    assert.equal(f.intentFields.size > 0, declares, `${f.folder}: its intent fields are read`);
  }
  const pair = features.find((f) => f.folder === 'pair');
  assert.deepEqual([...pair!.places].sort(), ['join', 'pair', 'pair/join', 'pair/new']);
});

test('no shared file of the window (outside features/<feature>/) names a feature', () => {
  // The list names each of the window's own features, once, by its `<folder>-feature.ts`: that is what
  // it is for. The domains' it names not at all: the build writes them out from the domains' list
  // (features/domain-features.ts, ADR 0111).
  const list = readFileSync(path.join(featuresDir, 'index.ts'), 'utf8');
  const domainWindows = listedDomains().flatMap((d) => (d.window ? [d.window] : []));
  assert.deepEqual(
    [...list.matchAll(/from '\.\/([^/']+)\/([^']+)'/g)].map((m) => `${m[1]}/${m[2]}`).sort(),
    features
      .filter((f) => !domainWindows.includes(f.folder))
      .map((f) => `${f.folder}/${f.folder}-feature.js`)
      .sort(),
  );
  const shared = sourceFiles(src).filter((f) => !/^features\/[^/]+\//.test(f) && f !== 'features/index.ts');
  assert.ok(
    shared.includes('App.tsx') && shared.includes('lib/fragment.ts') && shared.includes('services.ts'),
    `the scan reads the shared files: ${shared.join(', ')}`,
  );
  const offences = shared.flatMap((f) =>
    namedIn(f, readFileSync(path.join(src, f), 'utf8')).map((what) => `${f}: ${what}`),
  );
  assert.deepEqual(offences, []);
});

test('the check sees a feature named in a shared file, and not the same words as the agent uses them', () => {
  assert.deepEqual(
    namedIn('services.ts', "import { TerminalManager } from './features/terminals/terminal-manager.js';"),
    ['imports ./features/terminals/terminal-manager.js'],
  );
  assert.deepEqual(namedIn('lib/x.ts', "services.nav.go('terminals');"), [
    "'terminals' as a place (terminals)",
  ]);
  assert.deepEqual(namedIn('lib/x.ts', "    case 'pair/new':"), [
    "'pair/new' (pair)",
    "'pair/new' as a place (pair)",
  ]);
  assert.deepEqual(namedIn('lib/x.ts', 'const at = `#messages?peer=${peer}`;'), [
    '`#messages?peer=${peer}` (messages)',
  ]);
  assert.deepEqual(namedIn('lib/x.ts', "return { view: 'approvals', intent: request ? { request } : {} };"), [
    "'approvals' as a place (approvals)",
    'intent field request (approvals)',
  ]);
  assert.deepEqual(namedIn('lib/x.ts', 'const { openTerminal, ...rest } = link.intent;'), [
    'intent field openTerminal (terminals)',
  ]);
  // The agent's words: the store's parts, an event, a picker's kind; and what a comment says.
  assert.deepEqual(namedIn('api/x.ts', "const PUSHED = ['status', 'pending', 'forwards'];"), []);
  assert.deepEqual(namedIn('api/x.ts', "if (event === 'connections') read(['settings']);"), []);
  assert.deepEqual(namedIn('lib/x.ts', "pick(kind: 'files' | 'folder'); // nav.go('files')"), []);
  assert.deepEqual(namedIn('App.tsx', "import { useFeatures } from './features/registry.js';"), []);
});
