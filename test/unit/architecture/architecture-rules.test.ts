/**
 * The rules docs/architecture.md states about who may touch what, held to the code: each file in the
 * home has one writer, the layers' imports it rules out are absent (the mux sees no path, the relay
 * server nothing above transport/, home/ no network), a crossing says why, and the renderer takes code
 * from src-main/ only where §Rules the code keeps says. Lint holds the layer order itself; these hold
 * the doc's finer words.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { code, root, section, sources, src, ticked } from '../../helpers/architecture-doc.js';

/** Each file in the home that the node keeps, its one writer, and the files that only read it or name it. */
const HOME_FILES = [
  {
    file: 'config.json',
    writer: 'state/settings-file.ts',
    others: {
      'cli/log-command.ts': 'tells whether the home has settings before opening NodeState',
      'home/identity-store.ts': 'reads its peers before making a new identity',
      'home/stale-temp-files.ts': "removes a crashed save's temp files beside it",
      'electron/tray-status.ts': 'tells a settings error in a reason it shows',
    },
  },
  {
    file: 'pending.json',
    writer: 'state/pending-file.ts',
    others: { 'app/run-agent.ts': "says where an older config.json's requests went" },
  },
  {
    file: 'members.json',
    writer: 'state/member-log.ts',
    others: { 'home/stale-temp-files.ts': "removes a crashed save's temp files beside it" },
  },
  { file: 'observations.json', writer: 'state/observations.ts', others: {} },
];

test('§State and its owners: each file in the home has the one writer it names', () => {
  const files = sources().map((f) => [f, code(f)] as const);
  for (const { file, writer, others } of HOME_FILES) {
    const spelled = new RegExp(file.replace('.', '\\\\?\\.'));
    const constants = [...code(writer).matchAll(/export const (\w+) = `?'?([\w.]+)'?`?;/g)]
      .filter((m) => m[2] === file)
      .map((m) => m[1]!);
    const naming = files
      .filter(([, text]) => spelled.test(text) || constants.some((c) => new RegExp(`\\b${c}\\b`).test(text)))
      .map(([f]) => f);
    assert.ok(naming.includes(writer), `${writer} names ${file}`);
    assert.deepEqual(
      naming.filter((f) => f !== writer && !(f in others)),
      [],
      `files that name ${file} besides its writer, ${writer}`,
    );
    // Those that name it only read it: no write call takes it.
    const write = new RegExp(
      `\\b(?:writeFile\\w*|appendFile\\w*|replaceFile\\w*|rename\\w*|copyFile\\w*|createWriteStream)\\([^;]*${spelled.source}`,
    );
    for (const other of Object.keys(others))
      assert.doesNotMatch(code(other), write, `${other} writes ${file}`);
  }
});

/** The imports of `file` (static, dynamic, `import type` included), each with whether only types come. */
function importsOf(file: string): { from: string; typeOnly: boolean }[] {
  return [...code(file).matchAll(/^\s*(?:import|export)\s+(type\s+)?[^;]*?from\s+'([^']+)'/gm)].map((m) => ({
    from: m[2]!,
    typeOnly: Boolean(m[1]),
  }));
}

test('§Layers: the mux sees a Link, never a path; the relay server needs nothing above transport/', () => {
  const path_ = /\/(?:direct|relay|e2e|splice|upgradable|nat\/)/;
  const muxOffences = sources()
    .filter((f) => f.startsWith('mux/'))
    .flatMap((f) =>
      importsOf(f)
        .filter((i) => i.from.includes('/transport/') && path_.test(i.from.split('/transport')[1]!))
        .map((i) => `${f}: ${i.from}`),
    );
  assert.deepEqual(muxOffences, [], 'the mux imports a transport module that names a path');
  const below = ['core', 'protocol', 'crypto', 'home', 'transport', 'relay'];
  const relayOffences = sources()
    .filter((f) => f.startsWith('relay/'))
    .flatMap((f) =>
      importsOf(f)
        .filter((i) => i.from.startsWith('.'))
        .map((i) => path.posix.normalize(path.posix.join(path.posix.dirname(f), i.from)).split('/')[0]!)
        .filter((folder) => !below.includes(folder))
        .map((folder) => `${f}: ${folder}/`),
    );
  assert.deepEqual(relayOffences, [], 'relay/ imports a folder above transport/');
  // home/ knows no network: types at most (the pipe proof names a Socket).
  const net = /^(?:node:)?(?:net|tls|dgram|http|https|http2)$|^ws$/;
  const homeOffences = sources()
    .filter((f) => f.startsWith('home/'))
    .flatMap((f) =>
      importsOf(f)
        .filter((i) => net.test(i.from) && !i.typeOnly)
        .map((i) => `${f}: ${i.from}`),
    );
  assert.deepEqual(homeOffences, [], 'home/ imports the network');
});

test('§The layer order: an import that crosses the layers says why, and brings types only', () => {
  const offences = sources().flatMap((f) => {
    const lines = readFileSync(path.join(src, f), 'utf8').split('\n');
    return lines.flatMap((line, i) => {
      if (!/eslint-disable-next-line[^\n]*import-x\/no-restricted-paths/.test(line)) return [];
      const why = /import-x\/no-restricted-paths\s*--\s*\S/.test(line);
      const typeOnly = /^\s*import type\b/.test(lines[i + 1] ?? '');
      return why && typeOnly
        ? []
        : [`${f}:${i + 1}: ${why ? '' : 'no reason; '}${typeOnly ? '' : 'not import type'}`];
    });
  });
  assert.deepEqual(offences, []);
});

test('§Rules the code keeps: the renderer takes code from src-main/ only where the rule says', () => {
  const rule = section('Rules the code keeps');
  const m = /and code only from ([\s\S]*?) \(pure/.exec(rule);
  assert.ok(m, 'the rule names the modules');
  const named = ticked(m[1]!);
  const allowed = named.map((p) => `src-main/${p.replace(/\.ts$/, '.js')}`);
  // A domain's words (`<folder>-words.ts`, ADR 0111) are named by their pattern, so a new domain's are too.
  assert.ok(named.includes('<folder>-words.ts'), "the rule names the domains' words by their pattern");
  const isWords = (u: string) => /^src-main\/[\w-]+\/[\w-]+-words\.js$/.test(u);
  const renderer = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === 'dist' ? [] : renderer(p);
      return /\.tsx?$/.test(e.name) ? [p] : [];
    });
  const used = new Set<string>();
  for (const file of renderer(path.join(root, 'src-renderer'))) {
    const text = readFileSync(file, 'utf8');
    for (const i of text.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'([^']*src-main\/[^']+)'/gm)) {
      if (i[1]) continue;
      used.add(`src-main/${i[2]!.split('src-main/')[1]}`);
    }
  }
  assert.ok(used.size > 0, 'found the renderer imports');
  assert.deepEqual(
    [...used].filter((u) => !allowed.includes(u) && !isWords(u)),
    [],
    'code the rule does not name',
  );
});
