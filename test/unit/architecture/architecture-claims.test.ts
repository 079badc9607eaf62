/**
 * The lists docs/architecture.md gives of the code's parts, held to the code: which services admit
 * what, the typed changes, the node state's writes, the connection kinds, the API handler's parts, the
 * lifecycle lists and the build order, the window's features and the folders (the rules it states:
 * architecture-rules.test.ts). Each test reads the doc's words, so a list changed in one place and not
 * the other fails here.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { ApiDeps } from '../../../src-main/app/agent-api.js';
import type { ConnectionKind } from '../../../src-main/api/contract-types.js';
import type { StateChangeKind } from '../../../src-main/state/state-changes.js';
import type { DomainSettings } from '../../../src-main/api/contract-piece.js';
import { domains } from '../../../src-main/app/domains.js';
import type { RunState } from '../../../src-main/forwards/forward-run.js';
import { NodeState } from '../../../src-main/state/node-state.js';
import { domainFolders, listedDomains } from '../../../scripts/domain-folders.mjs';
import { backoffDelayMs } from '../../../src-main/core/backoff.js';
import { ABSENT_PEER_RETRY_MS } from '../../../src-main/links/peer-connector.js';
import { RelayCloseCode } from '../../../src-main/protocol/relay-close-codes.js';
import { DEFAULT_RELAY_LIMITS } from '../../../src-main/protocol/relay-limits.js';
import { RELAY_PROBE_INTERVAL_MS } from '../../../src-main/transport/relay-client.js';
import {
  architectureDoc as doc,
  code,
  root,
  section,
  sources,
  src,
  ticked,
} from '../../helpers/architecture-doc.js';

/**
 * Exhaustive over the node's kinds: one added or removed in the code fails the typecheck here. The
 * domains' sections bring theirs (ADR 0093), so those are the pieces' (the toy fixture's among them).
 */
const STATE_CHANGE_KINDS: Record<Exclude<StateChangeKind, SectionChangeKind>, true> = {
  peer: true,
  pending: true,
  blocked: true,
  relay: true,
  option: true,
};

/** The change kinds the domains' sections are announced as. */
type SectionChangeKind = {
  [K in keyof DomainSettings]: DomainSettings[K] extends { change: infer C } ? C : never;
}[keyof DomainSettings];
const CONNECTION_KINDS: Record<ConnectionKind, true> = {
  forward: true,
  socks: true,
  http: true,
  'tcp-exit': true,
  'udp-exit': true,
  'terminal-served': true,
  'terminal-opened': true,
  'relay-circuit': true,
  udp: true,
  reverse: true,
  'reverse-udp': true,
  'reverse-served': true,
  'chain-hop': true,
  'files-in': true,
  'files-out': true,
  'messages-in': true,
  'messages-out': true,
  share: true,
};
const API_DEPS: Record<keyof ApiDeps, true> = {
  identity: true,
  name: true,
  log: true,
  state: true,
  links: true,
  relays: true,
  local: true,
  nat: true,
  notices: true,
  startedWith: true,
  approvals: true,
  issuer: true,
  joiner: true,
  progress: true,
  contract: true,
  webUi: true,
  connections: true,
  audit: true,
  guests: true,
  introductions: true,
  requestStop: true,
  stopping: true,
  domains: true,
};

const RUN_STATES: Record<RunState['state'], true> = {
  off: true,
  listening: true,
  retrying: true,
  failed: true,
};

/** NodeState's methods that only read or subscribe; every other one is a write the table names. */
const NODE_STATE_READS = ['get', 'subscribe', 'peers', 'peer', 'pending', 'isBlocked', 'forward'];

/** The services registered with the ServiceRegistry in src-main/, by name, with what each admits. */
function registeredServices(): Map<string, string> {
  const names = new Map<string, string>();
  const files = sources().map((f) => [f, code(f)] as const);
  for (const [, text] of files)
    for (const m of text.matchAll(/export const (\w+_SERVICE) = '([\w-]+)'/g)) names.set(m[1]!, m[2]!);
  const out = new Map<string, string>();
  for (const [file, text] of files) {
    for (const m of text.matchAll(/\.register\((\w+_SERVICE),\s*\{[\s\S]*?\badmits: '(\w+)'/g)) {
      const name = names.get(m[1]!);
      assert.ok(name, `${file}: ${m[1]} is a service name constant`);
      out.set(name, m[2]!);
    }
  }
  return out;
}

test('§Services: the admissions table lists every registered service under what it admits', () => {
  const table = new Map<string, string>();
  for (const row of section('Services').matchAll(/^\| `(\w+)`: [^|]+\|[^|]+\|([^|]+)\|$/gm))
    for (const name of ticked(row[2]!)) table.set(name, row[1]!);
  const registered = registeredServices();
  assert.ok(registered.size >= 10, `found the registrations (${registered.size})`);
  assert.deepEqual(new Map([...table].sort()), new Map([...registered].sort()));
  // The services described one by one are registered ones; the link plumbing is none of them.
  const text = section('Services');
  const plumbingAt = text.indexOf('**Link plumbing is not a service.**');
  const bold = (t: string) => [...t.matchAll(/^- \*\*([\w-]+)\*\*/gm)].map((m) => m[1]!);
  for (const name of bold(text.slice(0, plumbingAt)))
    assert.ok(registered.has(name), `${name} is registered`);
  const plumbing = bold(text.slice(plumbingAt));
  const linksOwn = sources()
    .filter((f) => f.startsWith('links/'))
    .flatMap((f) => [...code(f).matchAll(/export const \w+_SERVICE = '([\w-]+)'/g)].map((m) => m[1]!));
  assert.deepEqual([...plumbing].sort(), [...linksOwn].sort(), 'the streams links/ answers itself');
  for (const name of plumbing) assert.ok(!registered.has(name), `${name} does not pass the registry`);
});

test('§State and its owners: the typed changes are of the kinds it names', () => {
  const m = /`kind` one of ((?:`\w+`(?:, |,\n)?)+)/.exec(section('State and its owners'));
  assert.ok(m, 'the section names the kinds');
  assert.deepEqual(ticked(m[1]!).sort(), Object.keys(STATE_CHANGE_KINDS).sort());
  // And the domains' come from their pieces: the ones it gives as examples are some domain's, and it
  // needs no word for a new domain's (ADR 0111).
  const sectionKinds = domains.flatMap((d) =>
    Object.values(d.contract.settings ?? {}).flatMap((x) => ('change' in x ? [x.change] : [])),
  );
  assert.ok(sectionKinds.length > 0, 'some domain keeps a section');
  const examples = /its piece's, ADR 0093: ([^)]*)\)/.exec(section('State and its owners'))?.[1];
  assert.ok(examples, "the section says the domains' kinds are their pieces'");
  for (const kind of ticked(examples))
    assert.ok(sectionKinds.includes(kind), `${kind} is a domain's change kind`);
});

test("§State and its owners: the table names every one of NodeState's writes, and no other", () => {
  const named = [...section('State and its owners').matchAll(/\| `NodeState` \(([^|]*)\|/g)].flatMap((m) =>
    ticked(m[1]!).filter((w) => /^[a-z][A-Za-z]+$/.test(w)),
  );
  const methods = Object.getOwnPropertyNames(NodeState.prototype).filter(
    (n) =>
      n !== 'constructor' &&
      typeof Object.getOwnPropertyDescriptor(NodeState.prototype, n)?.value === 'function',
  );
  const hidden = [...code('state/node-state.ts').matchAll(/^ {2}private (?:async )?(\w+)\(/gm)].map(
    (m) => m[1]!,
  );
  const writes = methods.filter((n) => !NODE_STATE_READS.includes(n) && !hidden.includes(n));
  assert.deepEqual(
    named.filter((n) => !methods.includes(n)),
    [],
    'names that are no method of NodeState',
  );
  assert.deepEqual(
    writes.filter((n) => !named.includes(n)),
    [],
    'writes the table does not name',
  );
});

test('§State and its owners: the live connections row names every connection kind', () => {
  const row = section('State and its owners')
    .split('\n')
    .find((l) => l.startsWith('| live connections'));
  assert.ok(row, 'the table has a live connections row');
  const words = new Set(ticked(row));
  assert.deepEqual(
    Object.keys(CONNECTION_KINDS).filter((k) => !words.has(k)),
    [],
  );
});

test("§Composition: the API handler's parts are ApiDeps' keys", () => {
  const m = /\(`ApiDeps`\) takes named parts — ([\s\S]*?) — each narrowed/.exec(section('Composition'));
  assert.ok(m, 'the section lists the parts');
  const parts = ticked(m[1]!).filter((w) => /^[a-z]\w*$/.test(w));
  assert.deepEqual(parts.sort(), Object.keys(API_DEPS).sort());
});

test('§Composition: run-agent.ts builds its parts in the order the section gives', () => {
  const text = /builds, in this order, ([\s\S]*?)\(ADR 0049\)/.exec(section('Composition'))?.[1] ?? '';
  const order: [string, string][] = [
    ['the web UI part', 'webUiPart('],
    ['`Notices`', 'new Notices('],
    ['`AuditWriter`', 'new AuditWriter('],
    ['`Observations`', 'new Observations('],
    ['the agent', 'composeAgent('],
    ['the domains', 'createDomains('],
    ['the API handler', 'createApiHandler('],
  ];
  const told = order.map(([words]) => text.indexOf(words));
  assert.ok(
    told.every((at, i) => at >= 0 && (i === 0 || at > told[i - 1]!)),
    'the section tells them in this order',
  );
  const runAgent = code('app/run-agent.ts');
  const built = order.map(([, call]) => runAgent.indexOf(call));
  assert.ok(
    built.every((at) => at >= 0),
    'run-agent.ts builds each',
  );
  assert.deepEqual(
    [...built].sort((a, b) => a - b),
    built,
    'run-agent.ts builds them in this order',
  );
});

test("§Start and stop: each list's entries are the code's, in the code's order", () => {
  const rows = [...section('Start and stop').matchAll(/^\| [^|]*\(`([\w-]+\.ts)`\) \| (.+) \|$/gm)];
  assert.ok(rows.length >= 4, 'the table has its rows');
  for (const [, file, cell] of rows) {
    const owner = sources().find((f) => path.posix.basename(f) === file);
    assert.ok(owner, `${file} exists`);
    // Entries at the top level of the cell (not inside a parenthesis), without their explanations.
    const entries: string[] = [];
    let depth = 0;
    let current = '';
    for (const ch of cell!) {
      if (ch === '(') depth++;
      if (ch === ')') depth--;
      if (ch === '·' && depth === 0) {
        entries.push(current);
        current = '';
      } else if (depth === 0 && ch !== ')') current += ch;
    }
    entries.push(current);
    const named = entries.map((e) => e.trim()).filter((e) => !e.startsWith("the domains'"));
    const inCode = [...code(owner).matchAll(/\{\s*name: '([^']+)'/g)].map((m) => m[1]!);
    assert.deepEqual(named, inCode, `${file}'s lifecycle list`);
  }
});

test("§The desktop app and the window: the features it lists are the window's own, the folders under src-renderer/features/ no domain names", () => {
  const m = /`features\/<view>\/` \(([^;]+);/.exec(section('The desktop app and the window'));
  assert.ok(m, 'the section lists the features');
  const listed = m[1]!.split(/,\s*/).map((w) => w.trim().toLowerCase());
  const domainWindows = listedDomains().flatMap((d) => (d.window ? [d.window] : []));
  assert.ok(domainWindows.includes('terminals'), "the domains' features are read from their descriptions");
  const folders = readdirSync(path.join(root, 'src-renderer/features'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && !domainWindows.includes(e.name))
    .map((e) => e.name);
  assert.deepEqual(listed.sort(), folders.sort());
});

test('§Where things live: each folder it names exists, and test/ holds the folders it names', () => {
  const block = /^## Where things live\n\n```\n([\s\S]*?)```/m.exec(doc)?.[1];
  assert.ok(block, 'the section has its tree');
  const [mainPart, rest] = block.split(/^src-renderer\//m);
  // The layers themselves are §The layer order's (generated); the tree names folders inside them.
  const named = [...mainPart!.matchAll(/^ {2}([\w/-]+\/) /gm)].map((m) => `src-main/${m[1]}`);
  assert.ok(named.length >= 3, `read the tree (${named.length} folders)`);
  assert.ok(
    named.every((f) => f.split('/').length > 3),
    `it describes no layer again, only folders inside one: ${named.join(', ')}`,
  );
  const top = [...block.matchAll(/^([\w-]+\/) /gm)].map((m) => m[1]!);
  const gone = [...named, ...top].filter((f) => !existsSync(path.join(root, f)));
  assert.deepEqual(gone, [], 'folders §Where things live names that are not there');
  const testEntry = /^test\/ +([\s\S]*?)^\S/m.exec(rest!)?.[1] ?? '';
  const testFolders = readdirSync(path.join(root, 'test'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  const listed = [...testEntry.matchAll(/(?:^|[\s,(])([\w-]+)\/(?=[\s,()]|$)/gm)].map((m) => m[1]!);
  for (const f of testFolders) assert.ok(listed.includes(f), `test/${f}/ is in the test/ entry`);
  // unit/ has a folder for each folder of src-main/.
  const unit = new Set(readdirSync(path.join(root, 'test/unit')));
  const mainFolders = readdirSync(src, { withFileTypes: true }).filter((e) => e.isDirectory());
  assert.deepEqual(
    mainFolders.map((e) => e.name).filter((n) => !unit.has(n)),
    [],
    'src-main/ folders without a test/unit/ folder',
  );
});

test('§The API contract and its transports: contract.ts declares it, each domain brings its piece, one suite runs on each transport', () => {
  const contract = code('api/contract.ts');
  for (const name of ['ContractMethods', 'ApiEvents'])
    assert.match(contract, new RegExp(`export interface ${name}\\b`), `api/contract.ts declares ${name}`);
  const text = section('The API contract and its transports');
  for (const piece of ticked(text).filter((t) => /^contract-[\w-]+\.ts$/.test(t)))
    assert.ok(existsSync(path.join(src, 'api', piece)), `api/${piece}`);
  // `<folder>/<name>-contract.ts`: a piece in each domain's folder, which the window's and the client
  // library's tsconfigs take by their glob.
  const folders = domainFolders();
  for (const folder of folders)
    assert.ok(
      readdirSync(path.join(src, folder)).some((f) => f.endsWith('-contract.ts')),
      `${folder}/ brings its contract piece`,
    );
  for (const tsconfig of ['tsconfig.web.json', 'tsconfig.client.json'])
    assert.match(
      readFileSync(path.join(root, tsconfig), 'utf8'),
      /"src-main\/\*\/\*-contract\.ts"/,
      tsconfig,
    );
  // The three transports, each with the contract suite run against it.
  const runs = readdirSync(path.join(root, 'test/integration')).filter((f) =>
    /\bcontractSuite\(/.test(readFileSync(path.join(root, 'test/integration', f), 'utf8')),
  );
  for (const transport of ['control-socket', 'web-ui', 'ipc'])
    assert.ok(
      runs.some((f) => f.includes(transport)),
      `the contract suite runs over the ${transport}`,
    );
});

test('§Relay and §Links and paths: the timings they give are the code’s', () => {
  const words = (heading: string) => section(heading).replace(/\s+/g, ' ');
  const relay = words('Relay');
  const m = /heartbeats every (\d+) s while a node has circuits, every (\d+) s while it has none/.exec(relay);
  assert.ok(m, '§Relay gives the heartbeats');
  assert.equal(Number(m[1]) * 1000, DEFAULT_RELAY_LIMITS.pingIntervalMs);
  assert.equal(Number(m[2]) * 1000, DEFAULT_RELAY_LIMITS.idlePingIntervalMs);
  assert.match(relay, new RegExp(`refuses new nodes with close ${RelayCloseCode.RELAY_FULL}\\b`));
  const links = words('Links and paths');
  const schedule = /off with jitter: ([\d, ]+) s/.exec(links)?.[1]?.split(', ').map(Number);
  assert.ok(schedule, '§Links and paths gives the reconnect schedule');
  assert.deepEqual(
    schedule.map((_, attempt) => backoffDelayMs(attempt, () => 0) / 1000),
    schedule,
    'core/backoff.ts, without its jitter',
  );
  assert.equal(
    backoffDelayMs(schedule.length + 5, () => 0) / 1000,
    schedule.at(-1),
    'the last delay is the longest',
  );
  assert.match(links, new RegExp(`bare TCP connect every ${RELAY_PROBE_INTERVAL_MS} ms`));
  assert.match(links, new RegExp(`rests for ${ABSENT_PEER_RETRY_MS / 60_000} minutes`));
});

test("§State and its owners: a forward run's states are the ones the table names", () => {
  const m = /`LocalForwards`, behind `ForwardManager` \(one `RunState` union: ([^)]*)\)/.exec(
    section('State and its owners'),
  );
  assert.ok(m, 'the table names the union');
  assert.deepEqual(ticked(m[1]!).sort(), Object.keys(RUN_STATES).sort());
});
