/**
 * The NAT-lab section of `npm run bench` (`--only nat`; alone: `npm run bench:nat`), in the namespaced
 * NATs of test/helpers/nat-lab.ts with real `clawbridge agent`s (test/helpers/nat-agents.ts), the way
 * docs/adr/0081-direct-across-nats.md describes them. Each case gets a lab of its own (two homes, a
 * relay on the lab's internet): both agents are started, each adds the other by fingerprint, and the
 * section times from both agents running to both saying `direct`, or watches a pair that should stay
 * relayed for as long and reports the reason it gives.
 *
 * In the first case (two port-preserving home NATs) the same bytes are then downloaded, in turns,
 * through a `clawbridge forward` over the punched path and through a raw TCP connection between the
 * same two hosts through the same two NATs: the second home's router forwards one port to its host (a
 * DNAT rule in the router's own table, which is all the path needs), so raw TCP crosses both
 * translations as the punched link does. The figure is forward / raw TCP (medians of the turns).
 *
 * Needs root, iproute2, nft and miniupnpd; the section says why not when one is missing. Every
 * process is ended by its PID and every namespace removed after each case.
 */
import { fileURLToPath } from 'node:url';
import {
  befriend,
  natNode,
  peerOn,
  startNatAgent,
  startNatRelay,
  type NatNode,
} from '../test/helpers/nat-agents.js';
import { createNatLab, natLabUnavailable, type HomeSpec, type NatLab } from '../test/helpers/nat-lab.js';
import { cli, stopAll } from '../test/helpers/processes.js';
import { runToEnd, launch, killByPid } from './processes.js';

/** The line: time from both agents running to `direct`, in ms. */
export const TARGET_DIRECT_MS = 5_000;
/** The line: a forward over a punched path at least this share of raw TCP through the same NATs. */
export const TARGET_FORWARD_OVER_RAW = 0.9;
/** How long a pair is watched: for `direct`, or, for a pair that should stay relayed, that it does. */
const WATCH_MS = 15_000;
/** Poll interval while watching, in ms (each poll is two control calls). */
const POLL_MS = 100;
/** Bytes of each download (CLAWBRIDGE_BENCH_NAT_MIB, default 256 MiB). */
const NAT_BYTES = Number(process.env.CLAWBRIDGE_BENCH_NAT_MIB ?? 256) * 1024 * 1024;
/** Counted downloads of each path, in turns (CLAWBRIDGE_BENCH_NAT_TURNS, default 3). */
const NAT_TURNS = Number(process.env.CLAWBRIDGE_BENCH_NAT_TURNS ?? 3);
/** Longest one download may take, in ms. */
const DOWNLOAD_MAX_MS = 300_000;
const SERVER_PORT = 7690;
const FORWARD_PORT = 7691;
const ENDS = fileURLToPath(new URL('./nat-lab-ends.ts', import.meta.url));

interface NatCase {
  name: string;
  a: HomeSpec;
  b: HomeSpec;
  /** What the ADR says the pair comes up as. */
  expect: 'direct' | 'relay';
  /** Download through the punched path and raw TCP side by side in this case. */
  transfer?: boolean;
}

/** A home uplink for the throttled download, in Mbit/s: what the pair's users have, not a veth's speed. */
const HOME_UPLINK_MBIT = 200;

const CASES: NatCase[] = [
  { name: 'home | home', a: { nat: 'preserve' }, b: { nat: 'preserve' }, expect: 'direct', transfer: true },
  { name: 'double NAT | home', a: { nat: 'preserve', cgn: true }, b: { nat: 'preserve' }, expect: 'direct' },
  { name: 'symmetric | UPnP', a: { nat: 'random' }, b: { nat: 'preserve', upnp: true }, expect: 'direct' },
  {
    name: 'UPnP | UPnP',
    a: { nat: 'preserve', upnp: true },
    b: { nat: 'preserve', upnp: true },
    expect: 'direct',
  },
  { name: 'symmetric | symmetric', a: { nat: 'random' }, b: { nat: 'random' }, expect: 'relay' },
  {
    name: `home | home, ${HOME_UPLINK_MBIT} Mbit/s uplinks`,
    a: { nat: 'preserve', wanMbit: HOME_UPLINK_MBIT },
    b: { nat: 'preserve', wanMbit: HOME_UPLINK_MBIT },
    expect: 'direct',
    transfer: true,
  },
];

export interface NatCaseResult {
  name: string;
  expect: 'direct' | 'relay';
  /** ms from both agents running to both `direct`; null when it did not happen within WATCH_MS. */
  directMs: number | null;
  /** Why the pair says it is relayed, when it stayed so. */
  relayReason?: string;
  error?: string;
}

export interface NatTransfer {
  /** Which case it was measured in. */
  label: string;
  bytes: number;
  /** MB/s (10^6 bytes/s) of each counted download, in the order measured. */
  forward: number[];
  raw: number[];
}

export interface NatFigures {
  cases: NatCaseResult[];
  transfers: NatTransfer[];
  notes: string[];
}

const median = (xs: readonly number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Why the section cannot run here, or undefined. */
export function natSectionUnavailable(): string | undefined {
  return natLabUnavailable({ upnp: true });
}

/** Watches the pair from now: ms to both `direct`, or null and the relay reason after WATCH_MS. */
async function watchPair(
  x: NatNode,
  y: NatNode,
  t0: number,
): Promise<Omit<NatCaseResult, 'name' | 'expect'>> {
  let reason: string | undefined;
  while (performance.now() - t0 < WATCH_MS) {
    const [xy, yx] = await Promise.all([
      peerOn(x, y).catch(() => undefined),
      peerOn(y, x).catch(() => undefined),
    ]);
    if (xy?.path === 'direct' && yx?.path === 'direct') return { directMs: performance.now() - t0 };
    if (xy?.relayReason) reason = xy.relayReason;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return { directMs: null, relayReason: reason };
}

/** One download from `host:port` run inside `ns`; its MB/s. */
async function fetchIn(lab: NatLab, ns: string, host: string, port: number): Promise<number> {
  const out = await runToEnd(
    lab.exec(ns)[0]!,
    [
      ...lab.exec(ns).slice(1),
      process.execPath,
      '--import',
      'tsx',
      ENDS,
      'fetch',
      host,
      String(port),
      String(NAT_BYTES),
    ],
    DOWNLOAD_MAX_MS,
    `download from ${host}:${port}`,
  );
  const { bytes, ms } = JSON.parse(out.trim().split('\n').pop()!) as { bytes: number; ms: number };
  return bytes / 1e6 / (ms / 1000);
}

/** The forward and raw TCP downloads in turns across the punched pair (x in home 0, y in home 1). */
async function measureTransfer(
  lab: NatLab,
  x: NatNode,
  y: NatNode,
  log: (line: string) => void,
): Promise<Omit<NatTransfer, 'label'>> {
  const [homeA, homeB] = lab.homes as [NatLab['homes'][number], NatLab['homes'][number]];
  const [cmd, ...pre] = lab.exec(homeB.host.ns);
  const server = launch(cmd!, [
    ...pre,
    process.execPath,
    '--import',
    'tsx',
    ENDS,
    'serve',
    String(SERVER_PORT),
    String(NAT_BYTES),
  ]);
  try {
    await server.waitFor(/^listening$/m, 20_000, 'the download server');
    // Raw TCP's path: b's router forwards SERVER_PORT on its WAN to b's host (in the lab's own chains,
    // which its forward chain jumps to for new connections from the WAN).
    const nft = (...args: string[]) => lab.run(homeB.router.ns, ['nft', ...args]);
    nft(
      'add',
      'rule',
      'inet',
      'lab',
      'prerouting_miniupnpd',
      'iifname',
      homeB.router.wanIf,
      'tcp',
      'dport',
      String(SERVER_PORT),
      'dnat',
      'ip',
      'to',
      `${homeB.host.addr}:${SERVER_PORT}`,
    );
    nft(
      'add',
      'rule',
      'inet',
      'lab',
      'miniupnpd',
      'ip',
      'daddr',
      homeB.host.addr,
      'tcp',
      'dport',
      String(SERVER_PORT),
      'accept',
    );
    const added = await cli([
      'forward',
      'add',
      '--local',
      String(FORWARD_PORT),
      '--via',
      y.name,
      '--remote',
      `127.0.0.1:${SERVER_PORT}`,
      '--name',
      'nat-bench',
      '--home',
      x.home,
    ]);
    if (added.code !== 0) throw new Error(`forward add failed: ${added.stderr.trim()}`);
    const turns: Array<['raw' | 'forward', () => Promise<number>]> = [
      ['raw', () => fetchIn(lab, homeA.host.ns, homeB.publicAddr, SERVER_PORT)],
      ['forward', () => fetchIn(lab, homeA.host.ns, '127.0.0.1', FORWARD_PORT)],
    ];
    const result: Omit<NatTransfer, 'label'> = { bytes: NAT_BYTES, forward: [], raw: [] };
    // One uncounted download each first (the forward's stream window and both paths' TCP start-up).
    for (let turn = 0; turn <= NAT_TURNS; turn++) {
      for (const [name, fetch] of turn % 2 ? turns : [...turns].reverse()) {
        const mbps = await fetch();
        log(`  nat ${name} ${turn === 0 ? 'warm-up' : `turn ${turn}`}: ${mbps.toFixed(1)} MB/s`);
        if (turn > 0) result[name].push(mbps);
      }
    }
    const still = await peerOn(x, y);
    if (still?.path !== 'direct')
      throw new Error(`the pair left direct during the downloads (${still?.path})`);
    return result;
  } finally {
    await killByPid(server.proc);
  }
}

/** Every case in turn, each in a lab of its own. */
export async function measureNatLab(log: (line: string) => void): Promise<NatFigures> {
  const why = natSectionUnavailable();
  if (why) throw new Error(why);
  const figures: NatFigures = { cases: [], transfers: [], notes: [] };
  for (const c of CASES) {
    log(`nat: ${c.name}…`);
    let lab: NatLab | undefined;
    try {
      lab = await createNatLab([c.a, c.b]);
      const relayUrl = await startNatRelay(lab, 'bench-nat-relay');
      const x = await natNode('bench-nat-a', 'a');
      const y = await natNode('bench-nat-b', 'b');
      await Promise.all([
        startNatAgent(lab, lab.homes[0]!.host.ns, x, relayUrl),
        startNatAgent(lab, lab.homes[1]!.host.ns, y, relayUrl),
      ]);
      const t0 = performance.now();
      await befriend(x, y);
      const watched = await watchPair(x, y, t0);
      figures.cases.push({ name: c.name, expect: c.expect, ...watched });
      if (c.transfer) {
        if (watched.directMs === null)
          figures.notes.push(`${c.name} did not reach direct: no forward / raw TCP figure`);
        else figures.transfers.push({ ...(await measureTransfer(lab, x, y, log)), label: c.name });
      }
    } catch (err) {
      figures.cases.push({ name: c.name, expect: c.expect, directMs: null, error: (err as Error).message });
    } finally {
      await stopAll();
      await lab?.destroy();
    }
  }
  return figures;
}

/** The section as printed: one line per case, then the downloads side by side and their ratio. */
export function formatNatSection(f: NatFigures): string {
  const lines = [
    'NAT lab (namespaced NATs, nftables, miniupnpd; time from both agents running, the two `peers add` included, to `direct`):',
  ];
  const width = Math.max(...f.cases.map((c) => c.name.length));
  for (const c of f.cases) {
    let got: string;
    if (c.error) got = `not measured: ${c.error}`;
    else if (c.directMs !== null) got = `direct in ${(c.directMs / 1000).toFixed(2)} s`;
    else got = `stays relay (${c.relayReason ?? 'no reason given'})`;
    const verdict =
      c.error !== undefined
        ? ''
        : c.expect === 'relay'
          ? c.directMs === null
            ? '  PASS (relay expected)'
            : '  (direct: relay was expected)'
          : c.directMs !== null && c.directMs <= TARGET_DIRECT_MS
            ? `  PASS (≤ ${TARGET_DIRECT_MS / 1000} s)`
            : `  MISS (direct ≤ ${TARGET_DIRECT_MS / 1000} s)`;
    lines.push(`  ${c.name.padEnd(width)}  ${got}${verdict}`);
  }
  for (const t of f.transfers) {
    const fwd = median(t.forward);
    const raw = median(t.raw);
    const mib = t.bytes / 1024 / 1024;
    lines.push(
      `  ${mib} MiB, ${t.label}, medians of ${t.raw.length} turns each: forward over the punched path ${fwd?.toFixed(1)} MB/s, raw TCP through the same NATs ${raw?.toFixed(1)} MB/s`,
    );
    if (fwd !== null && raw !== null) {
      const ratio = fwd / raw;
      lines.push(
        `  forward / raw TCP = ${ratio.toFixed(3)}×  ${ratio >= TARGET_FORWARD_OVER_RAW ? 'PASS' : 'MISS'} (≥ ${TARGET_FORWARD_OVER_RAW}×)`,
      );
    }
  }
  for (const n of f.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}

/** The section's `--json` object. */
export function natJson(f: NatFigures): Record<string, unknown> {
  return {
    cases: f.cases,
    transfers: f.transfers.map((t) => {
      const fwd = median(t.forward);
      const raw = median(t.raw);
      return { ...t, forwardOverRaw: fwd !== null && raw !== null ? fwd / raw : null };
    }),
  };
}

// `npm run bench:nat`: the section alone.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const why = natSectionUnavailable();
  if (why) {
    process.stdout.write(`NAT lab skipped: ${why}\n`);
  } else {
    const t0 = performance.now();
    const log = (line: string) =>
      process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
    const figures = await measureNatLab(log);
    process.stdout.write(
      `${process.argv.includes('--json') ? JSON.stringify(natJson(figures)) : formatNatSection(figures)}\n`,
    );
  }
}
