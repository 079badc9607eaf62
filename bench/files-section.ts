/**
 * The files section of `npm run bench` (issue 55 item 4, `--only files`): `clawbridge file send` beside
 * OpenSSH's copies, each run as a user runs it (a process from start to exit 0, which for `file send`
 * means every byte verified on the other side), the same files for every contender, side by side in
 * one run:
 * - one 1 GiB file a → b over a direct link on 127.0.0.1 vs `scp` to a private sshd (bench/ssh.ts);
 * - a folder of 10,000 files of 1 KiB vs `scp -r` and vs `tar c | ssh tar x`;
 * - 256 MiB on the `long-fat` profile (bench/link-profiles.ts): agent b and sshd each behind their own
 *   link emulator (in the serving network namespace when there is one), vs `scp` through it.
 * `--quick` (or CLAWBRIDGE_BENCH_FILES_QUICK=1) uses smaller sizes (filesSizes). The contenders take
 * turns (order alternating); each row is the median of its turns. What arrived is moved out of b's
 * inbox (`file get`) and removed between turns, untimed. Every process is ended by its PID.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, startAgentPair, type AgentPair } from './cli-agents.js';
import { descendants } from './cpu-tree.js';
import { startEmulatedLink } from './emulated-link.js';
import { PROFILES } from './link-profiles.js';
import { runToEnd, which } from './processes.js';
import { createServingSide } from './serving-netns.js';
import { startSshForward, type SshForward } from './ssh.js';

const MiB = 1024 * 1024;

export interface FilesSizes {
  /** The one big file over loopback (1 GiB). */
  bigBytes: number;
  /** Files in the folder of small files (10,000) and each one's size (1 KiB). */
  smallCount: number;
  smallBytes: number;
  /** The file on the long-fat profile (256 MiB). */
  longFatBytes: number;
  /** Timed turns of each contender: loopback rows, long-fat rows. */
  turns: number;
  longFatTurns: number;
  quick: boolean;
}

/** The issue's sizes, or smaller ones with `--quick` / CLAWBRIDGE_BENCH_FILES_QUICK=1. */
export function filesSizes(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): FilesSizes {
  const quick = argv.includes('--quick') || env.CLAWBRIDGE_BENCH_FILES_QUICK === '1';
  return quick
    ? {
        bigBytes: 128 * MiB,
        smallCount: 1_000,
        smallBytes: 1024,
        longFatBytes: 32 * MiB,
        turns: 1,
        longFatTurns: 1,
        quick,
      }
    : {
        bigBytes: 1024 * MiB,
        smallCount: 10_000,
        smallBytes: 1024,
        longFatBytes: 256 * MiB,
        turns: 2,
        longFatTurns: 1,
        quick,
      };
}

/** Targets (issue 55 item 4). */
export const TARGET_BIG_OVER_SCP = 0.6;
export const TARGET_SMALL_TIME_OVER_SCP_R = 0.5;
export const TARGET_SMALL_TIME_OVER_TAR_SSH = 1.5;
export const TARGET_LONG_FAT_OVER_SCP = 2;

export const CONTENDERS = [
  'send-big',
  'scp-big',
  'send-small',
  'scp-r-small',
  'tar-ssh-small',
  'send-long-fat',
  'scp-long-fat',
] as const;
export type FilesContender = (typeof CONTENDERS)[number];

export interface FilesFigures {
  sizes: FilesSizes;
  /** Seconds of each timed turn, by contender, in the order measured. */
  seconds: Partial<Record<FilesContender, number[]>>;
  /**
   * CPU seconds of each timed turn (benchCpuSeconds: the command, the agents, sshd and what they ran),
   * by contender, where /proc could be read.
   */
  cpu?: Partial<Record<FilesContender, number[]>>;
  /** Why a contender has no figure. */
  skipped: Partial<Record<FilesContender, string>>;
}

const median = (xs: readonly number[] | undefined): number | null => {
  if (!xs || xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export interface FilesLine {
  label: string;
  /** The ratio (throughput ratio for the big and long-fat rows, time ratio for the small-file rows). */
  value: number | null;
  target: string;
  verdict: 'PASS' | 'MISS' | 'n/a';
}

/** The three targets' four lines, from the medians. */
export function filesLines(f: FilesFigures): FilesLine[] {
  const m = (c: FilesContender) => median(f.seconds[c]);
  const ratio = (num: number | null, den: number | null) =>
    num !== null && den !== null && den > 0 ? num / den : null;
  const line = (label: string, value: number | null, atLeast: boolean, target: number): FilesLine => ({
    label,
    value,
    target: `${atLeast ? '>=' : '<='} ${target}x`,
    verdict: value === null ? 'n/a' : (atLeast ? value >= target : value <= target) ? 'PASS' : 'MISS',
  });
  return [
    // Throughput ratio = the other's time over ours.
    line('file send / scp, big file (MB/s)', ratio(m('scp-big'), m('send-big')), true, TARGET_BIG_OVER_SCP),
    line(
      'file send / scp -r, small files (time)',
      ratio(m('send-small'), m('scp-r-small')),
      false,
      TARGET_SMALL_TIME_OVER_SCP_R,
    ),
    line(
      'file send / tar | ssh, small files (time)',
      ratio(m('send-small'), m('tar-ssh-small')),
      false,
      TARGET_SMALL_TIME_OVER_TAR_SSH,
    ),
    line(
      'file send / scp, long-fat (MB/s)',
      ratio(m('scp-long-fat'), m('send-long-fat')),
      true,
      TARGET_LONG_FAT_OVER_SCP,
    ),
  ];
}

const LABELS: Record<FilesContender, string> = {
  'send-big': 'file send, big file',
  'scp-big': 'scp, big file',
  'send-small': 'file send, small files',
  'scp-r-small': 'scp -r, small files',
  'tar-ssh-small': 'tar c | ssh tar x, small files',
  'send-long-fat': 'file send, long-fat',
  'scp-long-fat': 'scp, long-fat',
};

function bytesOf(c: FilesContender, s: FilesSizes): number {
  if (c.endsWith('-big')) return s.bigBytes;
  if (c.endsWith('-long-fat')) return s.longFatBytes;
  return s.smallCount * s.smallBytes;
}

const size = (bytes: number) => (bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / 1024} KiB`);

/** The section's lines, as printed. */
export function formatFilesSection(f: FilesFigures, notes: readonly string[]): string {
  const s = f.sizes;
  const rows = CONTENDERS.map((c) => {
    const sec = median(f.seconds[c]);
    const turns = (f.seconds[c] ?? []).map((x) => x.toFixed(2)).join(', ');
    const rate = sec === null ? '' : `${(bytesOf(c, s) / sec / 1e6).toFixed(1).padStart(7)} MB/s`;
    const cpu = median(f.cpu?.[c]);
    // CPU is what load cannot fake (a turn slowed by other work costs the same CPU): a GiB's for one
    // big file, the turn's for the small files (their cost is per file, not per byte).
    const perGiB =
      cpu === null
        ? ''
        : c.endsWith('-small')
          ? `   CPU ${cpu.toFixed(2)} s`
          : `   CPU ${(cpu / (bytesOf(c, s) / 1024 ** 3)).toFixed(2)} s/GiB`;
    const cell =
      sec === null
        ? `n/a${f.skipped[c] ? ` (${f.skipped[c]})` : ''}`
        : `${`${sec.toFixed(2)} s`.padStart(9)} ${rate}${perGiB}   (${turns})`;
    return `  ${LABELS[c].padEnd(31)} ${cell}`;
  });
  const lines = filesLines(f).map(
    (l) =>
      `  ${l.label.padEnd(42)} ${(l.value === null ? 'n/a' : `${l.value.toFixed(2)}x`).padStart(7)}   target ${l.target}   ${l.verdict}`,
  );
  return [
    '',
    `files (${size(s.bigBytes)} file and ${s.smallCount} files of ${size(s.smallBytes)} a → b over direct on 127.0.0.1, ${size(s.longFatBytes)} on long-fat; each a process to exit 0; medians of turns${s.quick ? '; --quick sizes' : ''}):`,
    ...rows,
    ...lines,
    ...notes.map((n) => `  note: ${n}`),
  ].join('\n');
}

/** The section under `files` in --json. */
export function filesJson(f: FilesFigures): Record<string, unknown> {
  return {
    sizes: f.sizes,
    seconds: Object.fromEntries(CONTENDERS.map((c) => [c, median(f.seconds[c])])),
    cpuSeconds: Object.fromEntries(CONTENDERS.map((c) => [c, median(f.cpu?.[c])])),
    ratios: filesLines(f),
    turns: f.seconds,
    skipped: f.skipped,
  };
}

/** A file of `bytes` that is not all zeros (16 MiB of random bytes, repeated). */
function writeBig(path: string, bytes: number): void {
  const block = randomBytes(Math.min(bytes, 16 * MiB));
  const fd = openSync(path, 'w');
  try {
    for (let left = bytes; left > 0; left -= block.length)
      writeSync(fd, block, 0, Math.min(left, block.length));
  } finally {
    closeSync(fd);
  }
}

/** `count` files of `bytes` random bytes in `dir`, 100 to a subfolder (as a photo or source tree is). */
function writeSmall(dir: string, count: number, bytes: number): void {
  for (let i = 0; i < count; i++) {
    const sub = join(dir, `d${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${String(i).padStart(5, '0')}.bin`), randomBytes(bytes));
  }
}

/**
 * The bench's CPU seconds so far, children included: its own children's that ended (fields 16–17 of
 * /proc/self/stat: the CLI, scp and its ssh) and every process still running below it, with what each
 * reaped (agents a and b; sshd with the per-connection children that ran scp's far end). A copy's
 * difference is the CPU of everything it kept busy, counted alike for `file send` and scp; null off
 * Linux.
 */
export function benchCpuSeconds(): number | null {
  const stats = new Map<number, { ppid: number; own: number; reaped: number }>();
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        stats.set(Number(name), statCpu(stat));
      } catch {
        // Gone while it was read.
      }
    }
  } catch {
    return null;
  }
  const self = stats.get(process.pid);
  if (!self) return null;
  const below = descendants(new Map([...stats].map(([pid, s]) => [pid, s.ppid])), process.pid);
  return below.reduce((sum, pid) => {
    const st = stats.get(pid)!;
    return sum + st.reaped + (pid === process.pid ? 0 : st.own);
  }, 0);
}

/** A /proc/PID/stat line's parent, own CPU seconds (utime + stime) and reaped children's (cutime + cstime). */
export function statCpu(stat: string): { ppid: number; own: number; reaped: number } {
  // Fields after the command name (which may hold spaces) start after its closing parenthesis.
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  // USER_HZ is 100 on every Linux the bench runs on.
  return { ppid: f[1]!, own: (f[11]! + f[12]!) / 100, reaped: (f[13]! + f[14]!) / 100 };
}

/** Longest one copy may take, in ms. */
const COPY_MAX_MS = 600_000;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** One copy: its wall time and the CPU it cost (benchCpuSeconds), in seconds. */
export interface CopyCost {
  seconds: number;
  cpu: number | null;
}

/** Runs one contender's command to its end; what it cost. */
async function timedRun(file: string, args: string[], what: string): Promise<CopyCost> {
  const cpu0 = benchCpuSeconds();
  const t0 = performance.now();
  await runToEnd(file, args, COPY_MAX_MS, what);
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = benchCpuSeconds();
  return { seconds, cpu: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 };
}

interface Copier {
  name: FilesContender;
  /** One timed copy of `source` (a file or folder); untimed clean-up of what arrived after. */
  run(source: string): Promise<CopyCost>;
}

/** `file send b SOURCE` on a; what arrived is then moved out of b's inbox and removed. */
function fileSend(name: FilesContender, pair: AgentPair, scratch: string): Copier {
  return {
    name,
    run: async (source) => {
      const cost = await timedRun(
        process.execPath,
        [CLI, 'file', 'send', 'b', source, '--home', pair.homeA],
        `clawbridge file send (${name})`,
      );
      const out = join(scratch, `got-${name}`);
      mkdirSync(out, { recursive: true });
      await pair.onB(['file', 'get', out, '--conflict', 'overwrite']);
      rmSync(out, { recursive: true, force: true });
      return cost;
    },
  };
}

/** `scp [-r] SOURCE host:DEST` (a new folder each turn, removed after). */
function scpCopy(name: FilesContender, ssh: SshForward, scratch: string, recursive: boolean): Copier {
  return {
    name,
    run: async (source) => {
      const dest = join(scratch, `scp-${name}`);
      mkdirSync(dest, { recursive: true });
      try {
        const cmd = ssh.scp!([source], dest, recursive);
        return await timedRun(cmd.file, cmd.args, name);
      } finally {
        rmSync(dest, { recursive: true, force: true });
      }
    },
  };
}

/** `tar c -C SOURCE . | ssh host tar x -C DEST`, as one shell pipeline. */
function tarSsh(ssh: SshForward, scratch: string): Copier {
  return {
    name: 'tar-ssh-small',
    run: async (source) => {
      const dest = join(scratch, 'tar-ssh');
      mkdirSync(dest, { recursive: true });
      try {
        const cmd = ssh.command!(`tar x -C ${quote(dest)}`, false, true);
        const line = `tar c -C ${quote(source)} . | ${[cmd.file, ...cmd.args].map(quote).join(' ')}`;
        return await timedRun('bash', ['-c', `set -o pipefail; ${line}`], 'tar | ssh');
      } finally {
        rmSync(dest, { recursive: true, force: true });
      }
    },
  };
}

/**
 * One uncounted copy of `warm` by each of `copiers` (a new link's first stream, module loading, JIT,
 * the ssh login's caches), noted with its time.
 */
async function warmUp(copiers: Copier[], warm: string, notes: string[], f: FilesFigures): Promise<void> {
  const took: string[] = [];
  for (const c of copiers) {
    try {
      took.push(`${c.name} ${(await c.run(warm)).seconds.toFixed(2)} s`);
    } catch (err) {
      f.skipped[c.name] = `failed: ${(err as Error).message.slice(0, 300)}`;
    }
  }
  notes.push(
    `${copiers[0]!.name.replace('send-', '')}: uncounted warm-up copy of ${size(WARM_BYTES)} first: ${took.join(', ')}`,
  );
}

/** The uncounted first copy of each contender. */
const WARM_BYTES = 16 * MiB;

/** Turns of `copiers` on `source`, the order alternating; a failing contender is skipped from then on. */
async function inTurns(
  copiers: Copier[],
  source: string,
  turns: number,
  f: FilesFigures,
  log: (line: string) => void,
): Promise<void> {
  for (let turn = 1; turn <= turns; turn++) {
    const order = turn % 2 === 1 ? copiers : [...copiers].reverse();
    for (const c of order) {
      if (f.skipped[c.name]) continue;
      try {
        const { seconds, cpu } = await c.run(source);
        (f.seconds[c.name] ??= []).push(seconds);
        if (cpu !== null) ((f.cpu ??= {})[c.name] ??= []).push(cpu);
        const cpuNote = cpu === null ? '' : `, CPU ${cpu.toFixed(2)} s`;
        log(`  files turn ${turn}: ${c.name} ${seconds.toFixed(2)} s${cpuNote}`);
      } catch (err) {
        f.skipped[c.name] = `failed: ${(err as Error).message.slice(0, 300)}`;
        log(`  files: ${c.name} ${f.skipped[c.name]!}`);
      }
    }
  }
}

/** Measures the section; `log` gets progress lines, `notes` what the reader needs beside the figures. */
export async function measureFiles(
  log: (line: string) => void,
  sizes: FilesSizes,
  notes: string[],
): Promise<FilesFigures> {
  if (!which('scp') || !which('tar')) throw new Error('the files section needs scp and tar');
  const f: FilesFigures = { sizes, seconds: {}, skipped: {} };
  const dir = mkdtempSync(join(tmpdir(), 'cb-bench-files-'));
  const stops: Array<() => Promise<void>> = [
    () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
  ];
  try {
    const big = join(dir, 'big.bin');
    const small = join(dir, 'small');
    const longFat = join(dir, 'long-fat.bin');
    log(
      `files: writing ${size(sizes.bigBytes)}, ${sizes.smallCount} small files and ${size(sizes.longFatBytes)}…`,
    );
    writeBig(big, sizes.bigBytes);
    writeSmall(small, sizes.smallCount, sizes.smallBytes);
    writeBig(longFat, sizes.longFatBytes);
    const warm = join(dir, 'warm.bin');
    writeBig(warm, WARM_BYTES);
    const scratch = join(dir, 'received');
    mkdirSync(scratch);

    // Loopback: a direct pair and a private sshd, both on 127.0.0.1.
    log('files: starting agents a and b over direct and a private sshd…');
    const pair = await startAgentPair('direct');
    stops.push(() => pair.stop());
    await pair.onB(['peers', 'allow', 'a', 'files']);
    // The -N forward's far end is never used here; scp and ssh log in on their own connections.
    const ssh = await startSshForward(9, log, { probe: false });
    stops.push(() => ssh.stop());
    if (!ssh.scp || !ssh.command) throw new Error(`OpenSSH not available: ${ssh.notes.join('; ')}`);
    await warmUp(
      [fileSend('send-big', pair, scratch), scpCopy('scp-big', ssh, scratch, false)],
      warm,
      notes,
      f,
    );
    await inTurns(
      [fileSend('send-big', pair, scratch), scpCopy('scp-big', ssh, scratch, false)],
      big,
      sizes.turns,
      f,
      log,
    );
    await inTurns(
      [
        fileSend('send-small', pair, scratch),
        scpCopy('scp-r-small', ssh, scratch, true),
        tarSsh(ssh, scratch),
      ],
      small,
      sizes.turns,
      f,
      log,
    );
    for (const stop of stops.splice(1).reverse()) await stop().catch(() => undefined);

    // long-fat: b and sshd on the serving side, each behind its own emulator of the profile.
    const profile = PROFILES.find((p) => p.name === 'long-fat')!;
    log(`files: long-fat (${profile.describe}): agents and sshd behind emulators…`);
    const serving = createServingSide();
    stops.push(() => Promise.resolve(serving.destroy()));
    const emulate = async (port: number, what: string) => {
      const link = await startEmulatedLink(profile.spec, port, serving.netns);
      stops.push(() => link.stop());
      await link.ready(what);
      return link.port;
    };
    const [farPair, farSsh] = await Promise.all([
      startAgentPair('direct', CLI, { wrapB: serving.wrap, reachB: (port) => emulate(port, 'agent b') }),
      startSshForward(9, log, {
        probe: false,
        wrapDaemon: serving.wrap,
        reach: (port) => emulate(port, 'sshd'),
      }),
    ]);
    stops.push(
      () => farPair.stop(),
      () => farSsh.stop(),
    );
    if (!farSsh.scp) throw new Error(`OpenSSH behind the emulator not available: ${farSsh.notes.join('; ')}`);
    await farPair.onB(['peers', 'allow', 'a', 'files']);
    await warmUp(
      [fileSend('send-long-fat', farPair, scratch), scpCopy('scp-long-fat', farSsh, scratch, false)],
      warm,
      notes,
      f,
    );
    notes.push(
      serving.netns
        ? `long-fat: b and sshd in network namespace ${serving.netns}, reachable only through their emulators`
        : `long-fat: b and sshd on the host's loopback (${serving.reason ?? ''}); a and scp are given only the emulators' ports`,
    );
    await inTurns(
      [fileSend('send-long-fat', farPair, scratch), scpCopy('scp-long-fat', farSsh, scratch, false)],
      longFat,
      sizes.longFatTurns,
      f,
      log,
    );
    return f;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}
