/**
 * One profile section of the bench (issue 29): the same rows as people feel them on a real link,
 * through the link emulator (bench/link-emulator.ts). The serving side (bench sink, agent b, sshd)
 * runs in its own network namespace when we are root (bench/serving-netns.ts), reachable only through
 * an emulator: one for raw TCP, one for the clawbridge direct link, two for the relay path (a ↔ relay
 * and relay ↔ b, each with half the delay so the whole path has the profile's RTT: the relay runs on
 * the client side's loopback and b reaches it only across its leg),
 * one for ssh's connection, all with the profile's spec (each is its own emulated path: the rows are
 * measured one after another, never sharing a bottleneck). Rows:
 * - self-check: raw TCP download through the emulator vs the set rate (or window / RTT when that is
 *   less), and an idle 1-byte ping-pong vs the set RTT, with the emulator's own timing error;
 * - downloads: raw TCP (the ceiling), a forward over the direct link and over the relay, `ssh -L`, in turns;
 *   where the profile asks (`freshDownload`: long-fat), also downloads on a new connection with nothing
 *   before them (issue 52): raw TCP's, the direct forward's first (the first transfer on its link) and,
 *   after the turns, the direct forward's again once its link has been quiet for FRESH_IDLE_MS;
 * - `term PEER -- true` on the existing link vs `ssh host true` (new connection) and over the
 *   ControlMaster; the first echoed byte of a new forwarded connection vs `ssh -L`'s;
 * - keystroke echo (`term` vs `ssh -tt` over the ControlMaster connection), idle and while a download
 *   saturates the same link (a forward to the same peer; `ssh -L` on the same ControlMaster), with a
 *   line under each loaded row from the link's per-hop queue timestamps (where the time went).
 * Each row carries its figures for the targets (bench/profile-targets.ts).
 * Never throws: a row that cannot be measured is reported as missing.
 */
import type { Duplex } from 'node:stream';
import { startChild, type BenchChild } from './child.js';
import { CLI, startAgentPair, type AgentPair } from './cli-agents.js';
import { addForward } from './agent-paths.js';
import { startEmulatedLink, type EmulatedLink } from './emulated-link.js';
import { ceilingBytesPerS, type LinkProfile } from './link-profiles.js';
import type { EmulatorStats } from './link-emulator.js';
import { halfLeg } from './link-shape.js';
import { FIRST_BYTE_TURNS, timeInTurns, type Contender } from './in-turns.js';
import { withDeadline } from './measure.js';
import { MODE_ECHO } from './serve.js';
import { createServingSide } from './serving-netns.js';
import { runToEnd } from './processes.js';
import { startSshForward, type SshForward } from './ssh.js';
import { firstEcho, tcpStream } from './streams.js';
import { hopBreakdown, lateNote, type SectionRow } from './profile-report.js';
import type { ProfileFigures } from './profile-targets.js';
import { median, percentile } from './table.js';
import { ECHO_SHELL_LINE, openEchoPty, openEchoTerminal, type EchoTerminal } from './terminal-echo.js';
import { download } from './transfers.js';
import { echoKeyCount } from './echo-keys.js';

/** Round trips of the self-check's ping-pong. */
const PING_COUNT = 40;
/** Uncounted round trips first. */
const PING_WARMUP = 5;
/** Uncounted download before the timed ones (slow start, windows), in bytes. */
const WARMUP_BYTES = 8 * 1024 * 1024;
/** A download through an emulated path that takes longer than this fails the row, in ms. */
const DOWNLOAD_DEADLINE_MS = 90_000;
/**
 * Keys timed per echo phase, after ECHO_WARMUP uncounted ones, ECHO_GAP_MS apart from the start of one
 * to the start of the next, as a typist's keys are (one key in flight at a time: a key whose echo took
 * longer goes at once after it). Until this release the gap came after each echo, which on the
 * 100 ms paths stretched every phase by an RTT a key and added ~40 s to the bench, measuring nothing.
 * 40 unless CLAWBRIDGE_BENCH_ECHO_KEYS says otherwise (bench/echo-keys.ts).
 */
const ECHO_COUNT = echoKeyCount(process.env.CLAWBRIDGE_BENCH_ECHO_KEYS, 40);
const ECHO_WARMUP = 5;
const ECHO_GAP_MS = 100;
/** How long the load download runs before keys are timed (fills the bottleneck buffer), in ms. */
const LOAD_SETTLE_MS = 2_000;
/** Hard limit on one load's life, in ms: a minute, and 300 ms more a key beyond the default 40. */
const LOAD_MAX_MS = 60_000 + Math.max(0, ECHO_COUNT - 40) * 300;

/** A row: its text and the figures the targets read (bench/profile-targets.ts). */
export type ProfileRow = SectionRow;

export interface ProfileReport {
  profile: LinkProfile;
  rows: ProfileRow[];
  notes: string[];
}

const mb = (bytesPerS: number) => (bytesPerS / 1e6).toFixed(1);

async function pingPong(stream: Duplex): Promise<number[]> {
  stream.write(Buffer.of(MODE_ECHO));
  const samples: number[] = [];
  for (let i = 0; i < PING_WARMUP + PING_COUNT; i++) {
    const reply = new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      stream.once('error', onError);
      stream.once('data', () => {
        stream.off('error', onError);
        resolve();
      });
    });
    const t0 = performance.now();
    stream.write(Buffer.of(0x2a));
    await withDeadline(reply, 5_000, 'round trip');
    if (i >= PING_WARMUP) samples.push(performance.now() - t0);
  }
  return samples;
}

/**
 * How long the direct forward's link is left quiet before its second download on a new connection, in
 * ms (11 s: longer than the flight cap's MIN_RTT_STALE_MS, as a link that a person downloads over
 * usually has been; the other paths' turns take most of it).
 */
const FRESH_IDLE_MS = 11_000;

/** The downloads on a new connection (row `download KEY`, bench/profile-targets.ts PROFILE_ROW). */
const FRESH = {
  raw: 'raw-tcp (new connection)',
  newLink: 'forward-direct (new link)',
  idleLink: 'forward-direct (new connection)',
} as const;

/** Connects, downloads `bytes` with nothing before them, closes; MB/s, the connect included. */
async function freshDownload(port: number, bytes: number): Promise<number> {
  const t0 = performance.now();
  const stream = (await tcpStream(port)).on('error', () => undefined);
  try {
    await download(stream, bytes, DOWNLOAD_DEADLINE_MS);
    return bytes / 1e6 / ((performance.now() - t0) / 1000);
  } finally {
    stream.destroy();
  }
}

/** Opens a stream, warms it up, then returns a timed download function for it (MB/s). */
async function downloader(
  port: number,
): Promise<{ run: (bytes: number) => Promise<number>; close: () => void }> {
  const stream = (await tcpStream(port)).on('error', () => undefined);
  await download(stream, WARMUP_BYTES, DOWNLOAD_DEADLINE_MS);
  return {
    run: async (bytes) => {
      const t0 = performance.now();
      await download(stream, bytes, DOWNLOAD_DEADLINE_MS);
      return bytes / 1e6 / ((performance.now() - t0) / 1000);
    },
    close: () => stream.destroy(),
  };
}

async function typeKeys(term: EchoTerminal): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < ECHO_WARMUP + ECHO_COUNT; i++) {
    const ms = await term.key(String.fromCharCode(0x61 + (i % 26)));
    if (i >= ECHO_WARMUP) samples.push(ms);
    await new Promise((r) => setTimeout(r, Math.max(0, ECHO_GAP_MS - ms)));
  }
  return samples;
}

const p50p99 = (s: number[]) =>
  `p50 ${percentile(s, 50).toFixed(1)} ms, p99 ${percentile(s, 99).toFixed(1)} ms`;

/** Keys typed while `loadPort` downloads without pause; the load's rate meanwhile. */
async function echoUnderLoad(
  term: EchoTerminal,
  loadPort: number,
  /** The emulated link the keys and the load share: its queues are read while the keys are typed. */
  link: EmulatedLink | undefined,
): Promise<{ samples: number[]; loadMBps: number; hops?: EmulatorStats }> {
  const load: BenchChild = startChild('./download-load-child.ts');
  try {
    await load.request('start', { port: loadPort, maxMs: LOAD_MAX_MS });
    await new Promise((r) => setTimeout(r, LOAD_SETTLE_MS));
    const before = await load.request<{ bytes: number; ms: number; failed?: string }>('bytes');
    if (before.bytes === 0) throw new Error(`the load delivered nothing in ${LOAD_SETTLE_MS} ms`);
    await link?.resetStats();
    const samples = await typeKeys(term);
    const hops = await link?.stats();
    const after = await load.request<{ bytes: number; ms: number; failed?: string }>('stop');
    if (after.failed) throw new Error(`the load failed during the keys: ${after.failed}`);
    const loadMBps = (after.bytes - before.bytes) / 1e3 / (after.ms - before.ms);
    return { samples, loadMBps, ...(hops ? { hops } : {}) };
  } finally {
    await load.stop();
  }
}

/** Counted runs of each start command and each first byte, after one uncounted turn, in turns. */
const START_RUNS = FIRST_BYTE_TURNS;
/** One start command that takes longer than this fails its row, in ms. */
const START_TIMEOUT_MS = 20_000;

/**
 * `term PEER -- true` on the existing link vs `ssh host true` (a new connection) vs the same over the
 * ControlMaster connection, and the first echoed byte of a new forwarded connection vs `ssh -L`'s.
 */
async function startRows(
  pair: AgentPair | undefined,
  fwdPort: number | undefined,
  ssh: SshForward,
  row: (name: string, text: string, figures?: ProfileFigures) => void,
  notes: string[],
  log: (line: string) => void,
): Promise<void> {
  const node = process.execPath;
  const cmd = (file: string, args: string[], what: string) => async () =>
    void (await runToEnd(file, args, START_TIMEOUT_MS, what));
  const contenders: Contender[] = [];
  if (pair) {
    const args = [pair.cli, 'term', 'b', '--home', pair.homeA, '--', 'true'];
    contenders.push({ name: 'term-true', run: cmd(node, args, 'clawbridge term b -- true') });
  }
  if (ssh.command) {
    const fresh = ssh.command('true', false, true);
    const muxed = ssh.command('true', false);
    contenders.push({ name: 'ssh-true', run: cmd(fresh.file, fresh.args, 'ssh host true') });
    contenders.push({ name: 'ssh-true-master', run: cmd(muxed.file, muxed.args, 'ssh -S host true') });
  }
  if (fwdPort !== undefined)
    contenders.push({ name: 'first-byte forward', run: () => firstEcho(() => tcpStream(fwdPort)) });
  if (ssh.ports) {
    const port = ssh.ports.forward;
    contenders.push({ name: 'first-byte ssh-L', run: () => firstEcho(() => tcpStream(port)) });
  }
  log(`  timing ${contenders.map((c) => c.name).join(', ')} in turns…`);
  const samples = await timeInTurns(contenders, START_RUNS, notes);
  const med = (name: string) => {
    const s = samples.get(name);
    return s && s.length > 0 ? median(s) : null;
  };
  const sshTrue = med('ssh-true');
  for (const name of ['term-true', 'ssh-true', 'ssh-true-master', 'first-byte forward', 'first-byte ssh-L']) {
    const v = med(name);
    if (v === null) continue;
    let vs = '';
    if (name === 'term-true' && sshTrue) vs = `, ${(v / sshTrue).toFixed(2)}× ssh host true`;
    const sshFirst = med('first-byte ssh-L');
    if (name === 'first-byte forward' && sshFirst) vs = `, ${(v / sshFirst).toFixed(2)}× ssh -L's`;
    row(name, `median ${v.toFixed(0)} ms of ${samples.get(name)!.length}${vs}`, { p50Ms: v });
  }
}

export async function measureProfile(
  profile: LinkProfile,
  log: (line: string) => void,
  /** The CLI whose agents are measured (bench:compare passes another build's). */
  cli = CLI,
): Promise<ProfileReport> {
  const rows: ProfileRow[] = [];
  const notes: string[] = [];
  const row = (name: string, text: string, figures: ProfileFigures = {}) => {
    rows.push({ name, text, ...figures });
    log(`  ${name}: ${text}`);
  };
  const stops: Array<() => Promise<void>> = [];
  const serving = createServingSide();
  if (serving.netns)
    notes.push(
      `serving side in network namespace ${serving.netns} (only loopback): reachable only through the emulators`,
    );
  else
    notes.push(
      `serving side on the host's loopback (${serving.reason ?? ''}): clients are given only the emulators' ports`,
    );
  /** An emulated link to `port` on the serving side (`inside`) or on the host's loopback. */
  const emulate = async (
    port: number,
    what: string,
    inside = true,
    spec = profile.spec,
  ): Promise<EmulatedLink> => {
    const link = await startEmulatedLink(spec, port, inside ? serving.netns : null);
    stops.push(() => link.stop());
    await link.ready(what);
    return link;
  };
  const sink = startChild('./peer-child.ts', [], serving.wrap);
  try {
    log(`profile ${profile.name}: ${profile.describe}`);
    const { port: sinkPort } = await sink.request<{ port: number }>('start', { kind: 'tcp' });
    const raw = await emulate(sinkPort, 'the bench sink');
    // Self-check: the idle round trip, then the rate (below, in turns with the other downloads).
    const pingStream = (await tcpStream(raw.port)).on('error', () => undefined);
    const ping = await pingPong(pingStream);
    pingStream.destroy();
    const p50 = percentile(ping, 50);
    row(
      'emu-rtt',
      `idle 1-byte ping-pong through the emulator: p50 ${p50.toFixed(1)} ms vs set RTT ${profile.rttMs} ms (${(p50 / profile.rttMs).toFixed(2)}×), p99 ${percentile(ping, 99).toFixed(1)} ms`,
      { p50Ms: p50, p99Ms: percentile(ping, 99) },
    );
    // The paths: raw TCP, a forward over a direct link, ssh -L (ControlMaster for the echo rows). The
    // three set-ups run at once (each behind its own emulators) to keep the section short; nothing is
    // measured until all are up.
    const ports: Array<{ name: string; port: number }> = [{ name: 'raw-tcp', port: raw.port }];
    let pair: AgentPair | undefined;
    let fwdPort: number | undefined;
    let relayFwdPort: number | undefined;
    /** The links the echo rows' keys cross: to agent b (direct) and to sshd. */
    let bLink: EmulatedLink | undefined;
    let sshLink: EmulatedLink | undefined;
    const direct = async () => {
      try {
        log('  starting two clawbridge agents, b behind the emulator…');
        const p = await startAgentPair('direct', cli, {
          wrapB: serving.wrap,
          reachB: async (port) => {
            bLink = await emulate(port, 'agent b');
            return bLink.port;
          },
        });
        pair = p;
        stops.push(() => p.stop());
        fwdPort = await addForward(p, sinkPort);
      } catch (err) {
        notes.push(`forward-direct not available: ${(err as Error).message}`);
      }
    };
    const relayed = async () => {
      try {
        log('  starting a clawbridge relay and two agents, each side of the relay behind an emulator…');
        const p = await startAgentPair('relay', cli, {
          wrapB: serving.wrap,
          reachRelay: async (relayPort) => {
            const leg = halfLeg(profile.spec);
            const a = await emulate(relayPort, 'the relay (a side)', false, leg);
            const b = await startEmulatedLink(leg, relayPort, serving.netns, serving.netns !== null);
            stops.push(() => b.stop());
            await b.ready('the relay (b side)');
            return { a: a.port, b: b.port };
          },
        });
        stops.push(() => p.stop());
        relayFwdPort = await addForward(p, sinkPort);
      } catch (err) {
        notes.push(`forward-relay not available: ${(err as Error).message}`);
      }
    };
    const openSsh = () => {
      log('  starting sshd behind the emulator and ssh -M -L…');
      return startSshForward(sinkPort, log, {
        probe: false,
        wrapDaemon: serving.wrap,
        reach: async (sshPort) => {
          sshLink = await emulate(sshPort, 'sshd');
          return sshLink.port;
        },
        master: true,
      });
    };
    const setup = performance.now();
    const [ssh] = await Promise.all([openSsh(), direct(), relayed()]);
    stops.push(() => ssh.stop());
    log(`  paths up in ${((performance.now() - setup) / 1000).toFixed(1)} s`);
    if (fwdPort !== undefined) ports.push({ name: 'forward-direct', port: fwdPort });
    if (relayFwdPort !== undefined) ports.push({ name: 'forward-relay', port: relayFwdPort });
    notes.push(...ssh.notes.filter((n) => n.startsWith('ssh-L')));
    if (ssh.ports) ports.push({ name: 'ssh-L', port: ssh.ports.forward });
    // What a person does (issue 52, LinkProfile.freshDownload): a new connection and one download,
    // nothing before it. Before the warm-ups, so the forward's is the first transfer on its link.
    const fresh = new Map<string, number>();
    const timeFresh = async (key: string, port: number | undefined) => {
      if (port === undefined) return;
      log(`  download ${key}…`);
      try {
        fresh.set(key, await freshDownload(port, profile.downloadBytes));
      } catch (err) {
        notes.push(`download ${key} failed: ${(err as Error).message}`);
      }
    };
    if (profile.freshDownload) {
      await timeFresh(FRESH.raw, raw.port);
      await timeFresh(FRESH.newLink, fwdPort);
    }
    // Downloads in turns, so a busy moment of the shared machine reaches every path alike.
    const speeds = new Map<string, number[]>();
    const open = new Map<string, Awaited<ReturnType<typeof downloader>>>();
    for (const { name, port } of ports) {
      try {
        open.set(name, await downloader(port));
        speeds.set(name, []);
      } catch (err) {
        notes.push(`${name} not available: ${(err as Error).message}`);
      }
    }
    await raw.resetStats();
    const lastEnd = new Map<string, number>();
    for (let turn = 0; turn < profile.turns; turn++) {
      for (const [name, d] of open) {
        log(`  download ${name} (turn ${turn + 1}/${profile.turns})…`);
        try {
          speeds.get(name)?.push(await d.run(profile.downloadBytes));
        } catch (err) {
          notes.push(`${name} download failed: ${(err as Error).message}`);
          open.delete(name);
          d.close();
        }
        lastEnd.set(name, performance.now());
      }
    }
    for (const d of open.values()) d.close();
    if (profile.freshDownload && fwdPort !== undefined) {
      const quiet = performance.now() - (lastEnd.get('forward-direct') ?? 0);
      if (quiet < FRESH_IDLE_MS) await new Promise((r) => setTimeout(r, FRESH_IDLE_MS - quiet));
      await timeFresh(FRESH.idleLink, fwdPort);
    }
    const medianOf = (name: string) => {
      const s = speeds.get(name);
      return s && s.length > 0 ? median(s) : null;
    };
    const rawMBps = medianOf('raw-tcp');
    const late = (await raw.stats()).lateMs;
    const ceiling = ceilingBytesPerS(profile.spec);
    if (rawMBps !== null) {
      row(
        'emu-rate',
        `raw TCP through the emulator: ${rawMBps.toFixed(1)} MB/s = ${((rawMBps * 1e6) / ceiling).toFixed(2)}× the set ${mb(ceiling)} MB/s${ceiling < profile.spec.down.rateBytesPerS ? ' (window / RTT)' : ''}; emulator timing error p50 ${late.p50.toFixed(2)} ms, p99 ${late.p99.toFixed(2)} ms, max ${late.max.toFixed(1)} ms (${late.samples} segments)`,
        { MBps: rawMBps },
      );
    }
    const lateBy = lateNote(late.p99, profile.rttMs);
    if (lateBy) notes.push(lateBy);
    const size = `${profile.downloadBytes / 1024 / 1024} MiB`;
    for (const name of ['raw-tcp', 'forward-direct', 'forward-relay', 'ssh-L']) {
      const v = medianOf(name);
      if (v === null) continue;
      const vsRaw = rawMBps && name !== 'raw-tcp' ? `, ${(v / rawMBps).toFixed(2)}× raw TCP` : '';
      const ssh = medianOf('ssh-L');
      const vsSsh = ssh && name.startsWith('forward-') ? `, ${(v / ssh).toFixed(2)}× ssh -L` : '';
      row(
        `download ${name}`,
        `${size}: ${v.toFixed(1)} MB/s (median of ${speeds.get(name)!.length})${vsRaw}${vsSsh}`,
        { MBps: v },
      );
    }
    const rawFresh = fresh.get(FRESH.raw);
    for (const [key, what] of [
      [FRESH.raw, 'on a new connection'],
      [FRESH.newLink, 'on a new connection, the first transfer on a new link'],
      [FRESH.idleLink, `on a new connection, the link quiet for ${FRESH_IDLE_MS / 1000} s or more`],
    ] as const) {
      const v = fresh.get(key);
      if (v === undefined) continue;
      const vsRaw = rawFresh && key !== FRESH.raw ? `, ${(v / rawFresh).toFixed(2)}× raw TCP's` : '';
      row(`download ${key}`, `${size} ${what}, connect included: ${v.toFixed(1)} MB/s${vsRaw}`, {
        MBps: v,
      });
    }
    await startRows(pair, fwdPort, ssh, row, notes, log);
    if (profile.echo) {
      const clients: Array<{
        name: string;
        open: () => Promise<EchoTerminal>;
        loadPort?: number;
        link?: EmulatedLink;
      }> = [];
      if (pair && fwdPort !== undefined) {
        const p = pair;
        clients.push({
          name: 'term',
          open: () => openEchoTerminal(p.homeA, cli),
          loadPort: fwdPort,
          ...(bLink ? { link: bLink } : {}),
        });
      }
      if (ssh.command && ssh.ports) {
        const { file, args } = ssh.command(ECHO_SHELL_LINE, true);
        clients.push({
          name: 'ssh -tt (ControlMaster)',
          open: () => openEchoPty(file, args, 'ssh -tt'),
          loadPort: ssh.ports.forward,
          ...(sshLink ? { link: sshLink } : {}),
        });
      }
      for (const c of clients) {
        let term: EchoTerminal | undefined;
        try {
          log(`  echo through ${c.name}, idle then with a download on the same connection…`);
          term = await c.open();
          const idle = await typeKeys(term);
          row(`echo-idle ${c.name}`, `${p50p99(idle)} (set RTT ${profile.rttMs} ms)`, {
            p50Ms: percentile(idle, 50),
            p99Ms: percentile(idle, 99),
          });
          if (c.loadPort !== undefined) {
            const { samples, loadMBps, hops } = await echoUnderLoad(term, c.loadPort, c.link);
            const echo = { p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99) };
            const over = echo.p99Ms - profile.rttMs;
            row(
              `echo-load ${c.name}`,
              `${p50p99(samples)} = RTT + ${over.toFixed(0)} ms at p99, while the download ran at ${loadMBps.toFixed(1)} MB/s`,
              { ...echo, loadMBps },
            );
            if (hops) row(`  where it went`, hopBreakdown(hops.queue, echo, profile.rttMs));
          }
        } catch (err) {
          notes.push(`echo through ${c.name} not available: ${(err as Error).message}`);
        } finally {
          await term?.close();
        }
      }
    }
  } catch (err) {
    notes.push(`profile ${profile.name} stopped early: ${(err as Error).message}`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await sink.stop();
    serving.destroy();
  }
  return { profile, rows, notes };
}
