/**
 * `npm run bench` (`tsx bench/run.ts [--json] [--only ROW,ROW…]`): measures every path side by side in
 * one run on 127.0.0.1 and prints one table of throughput, round trip and setup time, the size of the
 * built renderer's JavaScript, the ratios with their targets (PASS/MISS, never a failing exit code for
 * a miss) and relay memory per idle connection. `--only` measures only the rows it names (bench/only.ts,
 * e.g. `--only term-echo,ui-echo,renderer-js`; `relay-memory` for the memory lines).
 * Compare ratios, not absolute numbers: they depend on the machine. With --json, stdout carries only
 * `{"results":[…],"ratios":{…}}` and progress and notes go to stderr (and so do the profile sections).
 * After the loopback table come the emulated-link sections (bench/profile-section.ts: `lan`,
 * `broadband`, `long-fat`), each with its targets (bench/profile-targets.ts; `lan` is judged against
 * this run's loopback rows); `--profile NAME` runs only that section, `--only` runs none of them. With
 * --json the sections' rows and ratios are under `profiles`. Between the two comes the messages section
 * (bench/messages-section.ts: messages/s beside mosquitto, send → `msg listen`, `msg ask` beside `term`;
 * `--only messages` runs only it, `--only msg-listen` (or msg-10k, msg-ask) one of its rows; under
 * `messages` in --json), then the share section (bench/share-section.ts:
 * a 1 GiB curl download from a share beside python's http.server behind a reverse forward; `--only share`;
 * under `share` in --json), then the files section (bench/files-section.ts: `file send` beside scp, scp -r
 * and tar | ssh, on loopback and long-fat; `--only files`, `--quick` for smaller sizes; under `files` in
 * --json), then the NAT-lab section (bench/nat-lab.ts: time to `direct` per pair of namespaced NATs, a
 * forward over a punched path beside raw TCP through the same NATs; `--only nat`, alone `npm run
 * bench:nat`; skipped with the reason without root or its tools; under `nat` in --json), then the
 * sections that are a command of their own (COMMAND_SECTIONS: `footprint`, bench/footprint.ts;
 * `relay-scale`, bench/relay-scale.ts at `--relay-nodes N`, 15,000 unless told), each under its name in
 * --json. The report ends with issue 83's rows, wherever they were measured, beside the last release's
 * figures (bench/compare-rows.ts; `bench:compare -- --baseline RUN.json` judges them, ADR 0108), and
 * the last line is the run's wall time. With --json, stdout also carries `better`: which way is better
 * for each ratio line with a target.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseBaseline, type Baseline } from './baseline.js';
import { osCpuTimes, percent, settle, SETTLED_BUSY_SHARE } from './settle.js';
import { tuneGcForBulkTransfer } from '../src-main/runtime/gc-tuning.js';
import { generateIdentity } from '../src-main/crypto/identity.js';
import { measureAgentRows } from './agent-paths.js';
import { measureChainEcho } from './chain-echo.js';
import { bufferutilLoaded } from './bare-relay.js';
import { measureRawTcp, prepareDirect, prepareRawTls } from './direct-paths.js';
import { parseOnly, selects, unknownNames } from './only.js';
import { parseProfile, PROFILES, type LinkProfile } from './link-profiles.js';
import { measureProfile } from './profile-section.js';
import { formatSection, sectionJson, type PrintedSection } from './profile-report.js';
import { lanNote, profileTargets } from './profile-targets.js';
import { formatMessagesSection, messagesJson } from './messages-report.js';
import { measureMessages, MESSAGE_ROWS, type MessageRow } from './messages-section.js';
import { formatShareSection, measureShare, shareJson } from './share-section.js';
import { filesJson, filesSizes, formatFilesSection, measureFiles } from './files-section.js';
import { formatNatSection, measureNatLab, natJson, natSectionUnavailable } from './nat-lab.js';
import { measureRelayMemory } from './relay-memory.js';
import { runScriptJson } from './command-section.js';
import { formatReleaseTable, type BenchDoc } from './compare-rows.js';
import { formatReport as formatFootprint, type FootprintReport } from './footprint.js';
import { formatFigures, type FootprintFigures } from './footprint-rows.js';
import { pageBytesLines, type PageBytesResult } from './page-bytes.js';
import { prepareBareRelay, prepareRelay } from './relay-paths.js';
import { measureRendererJs } from './renderer-size.js';
import { measureSideBySide, type NamedPath } from './side-by-side.js';
import { measureUdpForward } from './udp-forward.js';
import {
  computeTargets,
  formatReport,
  jsonReport,
  ROW_NAMES,
  type BenchResult,
  type RowName,
  type SizeResult,
} from './table.js';

// The bench's own end of the in-process rows runs clawbridge code: tuned as the CLI is (ADR 0007).
tuneGcForBulkTransfer();

const json = process.argv.includes('--json');
const only = parseOnly(process.argv.slice(2));
const profile = parseProfile(process.argv.slice(2));
/**
 * Sections that are a command of their own, run to their end as a child with `--json` (bench/command-
 * section.ts) after the others: `--only NAME` runs one; `summary` is what the report prints of it (the
 * release table at the end shows its release rows). Each lands under its name in --json.
 * `page-bytes` (the page's bytes over the wire beside WeTTY's) and `terminal-footprint` (the browser
 * terminal's server side beside WeTTY + ssh + sshd, and the idle agent again) file their gate figures
 * under `ratios` (bench/compare-rows.ts).
 */
const COMMAND_SECTIONS: ReadonlyArray<{
  name: string;
  script: string;
  args: () => string[];
  summary: (doc: Record<string, unknown>) => string;
}> = [
  {
    name: 'footprint',
    script: 'footprint.ts',
    args: () => ['--json'],
    summary: (doc) => formatFootprint(doc as unknown as FootprintReport),
  },
  {
    name: 'terminal-footprint',
    script: 'footprint-rows.ts',
    args: () => ['--json'],
    summary: (doc) => formatFigures(doc as unknown as FootprintFigures),
  },
  {
    name: 'page-bytes',
    script: 'page-bytes.ts',
    args: () => ['--json'],
    summary: (doc) => pageBytesLines(doc as unknown as PageBytesResult).join('\n'),
  },
  { name: 'file-code', script: 'file-code.ts', args: () => ['--json'], summary: (d) => String(d.summary) },
  {
    name: 'relay-scale',
    script: 'relay-scale.ts',
    args: () => ['--json', '--nodes', String(relayNodes)],
    summary: (doc) => {
      const kib = (doc.ratios as Record<string, number | undefined> | undefined)?.['relay KiB/node'];
      return `relay scale: ${String(doc.registered)} of ${String(doc.nodes)} idle nodes over wss, ${kib === undefined ? 'n/a' : kib.toFixed(1)} KiB a node (bench/relay-scale.ts printed the rest above)`;
    },
  },
  {
    name: 'share-viewers',
    script: 'share-viewers.ts',
    args: () => ['--json'],
    summary: (d) => String(d.summary),
  },
];
/** `--relay-nodes N`: the relay-scale section's nodes (15,000, issue 83's row, unless told). */
const relayNodesAt = process.argv.indexOf('--relay-nodes');
const relayNodes = relayNodesAt < 0 ? 15_000 : Number(process.argv[relayNodesAt + 1]);
if (!Number.isSafeInteger(relayNodes) || relayNodes < 1)
  throw new Error('--relay-nodes needs a whole number of nodes');
/** Rows and lines that are not rows of the table but can be selected with --only. */
const OTHER_NAMES = [
  'renderer-js',
  'relay-memory',
  'messages',
  ...MESSAGE_ROWS,
  'share',
  'files',
  'nat',
  ...COMMAND_SECTIONS.map((c) => c.name),
];
/** A messages row is measured when `messages` or its own name is asked for (`msg` asks for all three). */
const messageRowWanted = (row: MessageRow) => selects(only, 'messages') || selects(only, row);
const runStarted = performance.now();
/** Progress on stderr, each line stamped with the seconds since the run began: where the time goes. */
const log = (line: string) =>
  process.stderr.write(`[${((performance.now() - runStarted) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
const notes: string[] = [];

const empty = (name: string): BenchResult => ({ name, MBps: null, p50Ms: null, p99Ms: null, setupMs: null });

async function row(name: RowName, measure: () => Promise<BenchResult>): Promise<BenchResult> {
  log(`measuring ${name}…`);
  const t0 = performance.now();
  try {
    const result = await measure();
    log(`  ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return result;
  } catch (err) {
    notes.push(`${name} not available: ${(err as Error).message}`);
    return empty(name);
  }
}

/**
 * The emulated-link sections, each printed as it ends (stderr with --json, as progress is), with its
 * targets; `loopback` is this run's loopback table (null when it did not run), which `lan` is judged
 * against. Returns the sections for --json and how long each took.
 */
async function profileSections(
  profiles: readonly LinkProfile[],
  cores: number,
  loopback: readonly BenchResult[] | null,
): Promise<Array<PrintedSection & { seconds: number }>> {
  const out: Array<PrintedSection & { seconds: number }> = [];
  for (const section of profiles) {
    const t0 = performance.now();
    // The previous section's processes may still be winding down: wait for them, briefly.
    const busy = await quiet(SECTION_SETTLE_MAX_MS);
    const report = await measureProfile(section, log);
    const seconds = (performance.now() - t0) / 1000;
    const notes = [...report.notes];
    const lan = lanNote(section.name, loopback);
    if (lan) notes.push(lan);
    notes.push(
      `section took ${seconds.toFixed(0)} s; CPUs ${percent(busy)} busy (of ${cores} cores) in the second before it started${busy > SETTLED_BUSY_SHARE ? ' (a loaded machine: other processes competed for the CPU)' : ''}`,
    );
    const printed: PrintedSection = {
      name: section.name,
      describe: section.describe,
      rows: report.rows,
      lines: profileTargets(section, report.rows, loopback),
      notes,
    };
    out.push({ ...printed, seconds });
    const text = formatSection(printed);
    if (json) log(text);
    else process.stdout.write(`\n${text}\n`);
  }
  return out;
}

/** The messages section, printed as it ends (stderr with --json); its `--json` object, null when it failed. */
async function messagesSection(cores: number): Promise<Record<string, unknown> | null> {
  const busy = await quiet(SECTION_SETTLE_MAX_MS);
  const t0 = performance.now();
  try {
    const { figures, notes } = await measureMessages(log, messageRowWanted);
    notes.push(
      `section took ${((performance.now() - t0) / 1000).toFixed(0)} s; CPUs ${percent(busy)} busy (of ${cores} cores) in the second before it started${busy > SETTLED_BUSY_SHARE ? ' (a loaded machine: other processes competed for the CPU)' : ''}`,
    );
    const text = formatMessagesSection(figures, notes);
    if (json) log(text);
    else process.stdout.write(`\n${text}\n`);
    return messagesJson(figures);
  } catch (err) {
    const line = `messages section not available: ${(err as Error).message}`;
    if (json) log(line);
    else process.stdout.write(`\n${line}\n`);
    return null;
  }
}

/** The share section (issue 55 item 4), printed as it ends (stderr with --json); its `--json` object. */
async function shareSection(cores: number): Promise<Record<string, unknown> | null> {
  const busy = await quiet(SECTION_SETTLE_MAX_MS);
  const t0 = performance.now();
  try {
    const figures = await measureShare(log);
    const note = `section took ${((performance.now() - t0) / 1000).toFixed(0)} s; CPUs ${percent(busy)} busy (of ${cores} cores) in the second before it started${busy > SETTLED_BUSY_SHARE ? ' (a loaded machine: other processes competed for the CPU)' : ''}`;
    const text = formatShareSection(figures, [note]);
    if (json) log(text);
    else process.stdout.write(`${text}\n`);
    return shareJson(figures);
  } catch (err) {
    const line = `share section not available: ${(err as Error).message}`;
    if (json) log(line);
    else process.stdout.write(`\n${line}\n`);
    return null;
  }
}

/** The files section (issue 55 item 4), printed as it ends (stderr with --json); its `--json` object. */
async function filesSection(cores: number): Promise<Record<string, unknown> | null> {
  const busy = await quiet(SECTION_SETTLE_MAX_MS);
  const t0 = performance.now();
  try {
    const notes: string[] = [];
    const figures = await measureFiles(log, filesSizes(process.argv.slice(2)), notes);
    notes.push(
      `section took ${((performance.now() - t0) / 1000).toFixed(0)} s; CPUs ${percent(busy)} busy (of ${cores} cores) in the second before it started${busy > SETTLED_BUSY_SHARE ? ' (a loaded machine: other processes competed for the CPU)' : ''}; load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    const text = formatFilesSection(figures, notes);
    if (json) log(text);
    else process.stdout.write(`${text}\n`);
    return filesJson(figures);
  } catch (err) {
    const line = `files section not available: ${(err as Error).message}`;
    if (json) log(line);
    else process.stdout.write(`\n${line}\n`);
    return null;
  }
}

/**
 * The NAT-lab section (bench/nat-lab.ts), printed as it ends (stderr with --json); its `--json` object.
 * Without root, nft or miniupnpd it prints why it was skipped.
 */
async function natSection(): Promise<Record<string, unknown> | null> {
  const why = natSectionUnavailable();
  const print = (text: string) => (json ? log(text) : process.stdout.write(`\n${text}\n`));
  if (why) {
    print(`NAT lab skipped: ${why}`);
    return null;
  }
  await quiet(SECTION_SETTLE_MAX_MS);
  try {
    const figures = await measureNatLab(log);
    print(formatNatSection(figures));
    return natJson(figures);
  } catch (err) {
    print(`NAT lab not available: ${(err as Error).message}`);
    return null;
  }
}

/** A section that is a command of its own, printed as it ends (stderr with --json); its document. */
async function commandSection(
  section: (typeof COMMAND_SECTIONS)[number],
): Promise<Record<string, unknown> | null> {
  await quiet(SECTION_SETTLE_MAX_MS);
  const print = (text: string) => (json ? log(text) : process.stdout.write(`\n${text}\n`));
  log(`measuring ${section.name} (bench/${section.script})…`);
  try {
    const doc = await runScriptJson(section.script, section.args());
    print(section.summary(doc));
    return doc;
  } catch (err) {
    print(`${section.name} section not available: ${(err as Error).message}`);
    return null;
  }
}

/** The last release's figures (bench/baseline.json), or none with a line saying why. */
function lastRelease(): Baseline | undefined {
  try {
    return parseBaseline(readFileSync(new URL('./baseline.json', import.meta.url), 'utf8'));
  } catch (err) {
    log(`no last-release column: ${(err as Error).message}`);
    return undefined;
  }
}

/** The last line: the whole run's wall time and its parts. */
function printTotal(parts: ReadonlyArray<readonly [string, number]>, t0: number): void {
  const total = (performance.now() - t0) / 1000;
  const line = `bench took ${total.toFixed(0)} s in all (${parts.map(([n, s]) => `${n} ${s.toFixed(0)} s`).join(', ')}); load average now ${(loadavg()[0] ?? 0).toFixed(2)}`;
  if (json) log(line);
  else process.stdout.write(`\n${line}\n`);
}

/** Longest wait for the CPUs to go quiet before an emulated-link section, in ms. */
const SECTION_SETTLE_MAX_MS = 10_000;

/** Waits (at most `maxMs`) for the CPUs to go quiet; the busy share of the last second it saw. */
function quiet(maxMs?: number): Promise<number> {
  return settle({
    cpuTimes: osCpuTimes,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => performance.now(),
    log,
    maxMs,
  });
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const cores = cpus().length;
  const busy = await quiet();
  const parts: Array<readonly [string, number]> = [['settling', (performance.now() - t0) / 1000]];
  if (profile !== null) {
    const sections = await profileSections([profile], cores, null);
    parts.push(...sections.map((s) => [s.name, s.seconds] as const));
    if (json) process.stdout.write(`${jsonReport([], [], { profiles: sections.map(sectionJson) })}\n`);
    return printTotal(parts, t0);
  }
  const started = performance.now();
  const [server, client] = await Promise.all([
    generateIdentity('bench server'),
    generateIdentity('bench client'),
  ]);
  if (!bufferutilLoaded()) notes.push('bufferutil is not installed: ws masks frames in JavaScript');
  const unknown = unknownNames(only, [...ROW_NAMES, ...OTHER_NAMES]);
  if (unknown.length > 0) notes.push(`--only: no row is called ${unknown.join(', ')}`);
  const results: BenchResult[] = [];
  if (selects(only, 'raw-tcp')) results.push(await row('raw-tcp', measureRawTcp));
  // raw-tls and direct are compared with ssh-L: prepared now, measured in turns with it (agent-paths.ts).
  const alongside: NamedPath[] = [];
  for (const [name, prepare] of [
    ['raw-tls', () => prepareRawTls(server, client)],
    ['direct', () => prepareDirect(server, client)],
  ] as const) {
    if (!selects(only, name)) continue;
    try {
      alongside.push(await prepare());
    } catch (err) {
      notes.push(`${name} not available: ${(err as Error).message}`);
    }
  }
  // The relay is compared with the bare relay: both are set up, then measured side by side.
  const relayPaths: NamedPath[] = [];
  for (const [name, prepare] of [
    ['bare-relay', prepareBareRelay],
    ['relay', () => prepareRelay(server, client)],
  ] as const) {
    if (!selects(only, name)) continue;
    log(`starting ${name}…`);
    try {
      relayPaths.push(await prepare());
    } catch (err) {
      notes.push(`${name} not available: ${(err as Error).message}`);
    }
  }
  const relays = await measureSideBySide(relayPaths, log);
  results.push(...relays.results);
  notes.push(...relays.notes);
  const agents = await measureAgentRows(log, only, alongside);
  results.push(...agents.results);
  notes.push(...agents.notes);
  if (selects(only, 'chain-echo-direct') || selects(only, 'chain-echo-2hops')) {
    log('measuring chain-echo-direct, chain-echo-1hop and chain-echo-2hops…');
    try {
      const chain = await measureChainEcho(log);
      results.push(...chain.results);
      notes.push(...chain.notes);
    } catch (err) {
      notes.push(`chain-echo not available: ${(err as Error).message}`);
    }
  }
  // udp-raw is the control of udp-direct: measured with it, in turns.
  if (selects(only, 'udp-direct') || selects(only, 'udp-raw')) {
    log('measuring udp-raw and udp-direct…');
    try {
      results.push(...(await measureUdpForward(log)));
    } catch (err) {
      notes.push(`udp-direct not available: ${(err as Error).message}`);
    }
  }
  // Rows in the table's order, an empty one for any (selected) row that produced nothing at all.
  const order = (name: string) => ROW_NAMES.indexOf(name as RowName);
  for (const name of ROW_NAMES) {
    if (selects(only, name) && !results.some((r) => r.name === name)) results.push(empty(name));
  }
  results.sort((a, b) => order(a.name) - order(b.name));
  const sizes: SizeResult[] = [];
  if (selects(only, 'renderer-js')) {
    try {
      sizes.push(measureRendererJs());
    } catch (err) {
      notes.push(`renderer-js not available: ${(err as Error).message}`);
      sizes.push({ name: 'renderer-js', bytes: null, gzipBytes: null, files: 0 });
    }
  }
  const memory = selects(only, 'relay-memory') ? await measureRelayMemory(log) : { results: [], notes: [] };
  notes.push(...memory.notes);
  // With --only, the lines whose inputs were not measured are left out instead of printed as n/a.
  const lines = computeTargets(results, memory.results, sizes).filter(
    (l) => only === null || l.value !== null,
  );
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  notes.push(
    `one run, ${seconds} s, all on 127.0.0.1, CPUs ${percent(busy)} busy (of ${cores} cores) in the second before it started; each far end in its own process; MB/s = 10^6 bytes/s through one stream; RTT = 1-byte ping-pong`,
  );
  if (busy > SETTLED_BUSY_SHARE) {
    notes.push(
      `the CPUs were ${percent(busy)} busy when the bench started: other processes competed for the CPU; rerun on an idle machine for stable numbers`,
    );
  }
  parts.push(['loopback table', (performance.now() - started) / 1000]);
  if (json) for (const n of notes) log(`note: ${n}`);
  else process.stdout.write(`${formatReport(results, lines, notes, sizes, lastRelease())}\n`);
  // Messages (issue 54 item 6): its own agent pair and mosquitto, after the loopback table.
  let messages: Record<string, unknown> | undefined;
  if (MESSAGE_ROWS.some(messageRowWanted)) {
    const m0 = performance.now();
    const section = await messagesSection(cores);
    messages = section ?? undefined;
    parts.push(['messages', (performance.now() - m0) / 1000]);
  }
  // Share (issue 55 item 4): a share beside python's http.server behind a reverse forward.
  let share: Record<string, unknown> | undefined;
  if (selects(only, 'share')) {
    const s0 = performance.now();
    share = (await shareSection(cores)) ?? undefined;
    parts.push(['share', (performance.now() - s0) / 1000]);
  }
  // Files (issue 55 item 4): file send beside scp, scp -r and tar | ssh.
  let files: Record<string, unknown> | undefined;
  if (selects(only, 'files')) {
    const f0 = performance.now();
    files = (await filesSection(cores)) ?? undefined;
    parts.push(['files', (performance.now() - f0) / 1000]);
  }
  // The NAT lab (ADR 0081): time to direct per NAT pair, a forward over a punched path beside raw TCP.
  let nat: Record<string, unknown> | undefined;
  if (selects(only, 'nat')) {
    const n0 = performance.now();
    nat = (await natSection()) ?? undefined;
    parts.push(['nat', (performance.now() - n0) / 1000]);
  }
  // Sections with a command of their own (footprint, relay scale): each run to its end as a child.
  const commands: Record<string, Record<string, unknown>> = {};
  for (const section of COMMAND_SECTIONS) {
    if (!selects(only, section.name)) continue;
    const c0 = performance.now();
    const doc = await commandSection(section);
    if (doc) commands[section.name] = doc;
    parts.push([section.name, (performance.now() - c0) / 1000]);
  }
  // With --only, the loopback table is partial and the sections do not run.
  const sections = only === null ? await profileSections(PROFILES, cores, results) : [];
  parts.push(...sections.map((s) => [s.name, s.seconds] as const));
  const extra = {
    ...(only === null ? { profiles: sections.map(sectionJson) } : {}),
    ...(messages ? { messages } : {}),
    ...(share ? { share } : {}),
    ...(files ? { files } : {}),
    ...(nat ? { nat } : {}),
    ...commands,
  };
  const report = jsonReport(results, lines, extra);
  // Issue 83's rows, wherever they were measured, beside the last release (bench/compare-rows.ts).
  const release = formatReleaseTable(JSON.parse(report) as BenchDoc, lastRelease(), only);
  if (json) {
    if (release) log(release);
    process.stdout.write(`${report}\n`);
  } else if (release) process.stdout.write(`\n${release}\n`);
  printTotal(parts, t0);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
