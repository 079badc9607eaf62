/**
 * Real clawbridge processes for integration tests: relays and agents on loopback, each in its own temp
 * home, ended by PID when the test ends. Uses the built CLI (`npm test` builds first; a file run on its
 * own after a change to src-main needs `npm run build`, docs/testing.md §What needs a build).
 *
 * `startAgent` is the one way a test starts an agent (test/unit/architecture/agent-starts.test.ts):
 * the CLI's `agent` from the bundle, tsc's modules or the source, under Node flags of the test's
 * (a probe, V8's traces), a prefix or a network namespace, waited for or not; or in this process.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MethodName, MethodParams, MethodResults, PeerInfo } from '../../src-main/api/contract.js';
import { ControlClient } from '../../src-main/api/control-client.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import { until } from './wait.js';
import { startInProcess, stopInProcessAgents, type InProcessOptions } from './in-process-agent.js';
import type { RunningAgent } from '../../src-main/app/run-agent.js';
import { sourceEntry } from './transpiled.js';

export const CLI = fileURLToPath(new URL('../../bin/clawbridge.js', import.meta.url));

/**
 * Which CLI a process runs: `bundle`, what users run (bin/clawbridge.js, `npm run build`); `modules`,
 * tsc's output one file a module (dist/src-main/cli/main.js, `npm run build`), where a probe tells the
 * packages a command loads apart; `source`, src-main/cli/main.ts, which needs no build (as run-tests
 * transpiled it, on plain Node, or under tsx: transpiled.ts).
 */
export type CliEntry = 'bundle' | 'modules' | 'source';
const ENTRIES: Record<CliEntry, string[]> = {
  bundle: [CLI],
  modules: [fileURLToPath(new URL('../../dist/src-main/cli/main.js', import.meta.url))],
  source: sourceEntry(fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url))),
};

/** How the CLI is launched: Node's own flags first (`--import PROBE`, `--trace-opt`), then its entry. */
export interface Launch {
  node?: string[];
  entry?: CliEntry;
}

/**
 * How long an agent or relay may take to say it runs, in ms, unless told. A start costs ~0.9 s of CPU:
 * at a load of 35 on two cores (eight checkouts building and testing at once) it took over 30 s, and
 * every test of the file failed at its first start. A deadline costs nothing when the start is fast.
 */
export const START_MS = 60_000;

const started = new Set<ChildProcess>();
/** Temp homes made by tempHome, removed by stopAll once their processes have ended. */
const homes = new Set<string>();

/** A fresh home under the temp directory; stopAll() removes it. */
export function tempHome(label: string): string {
  const home = mkdtempSync(join(tmpdir(), `cb-${label}-`));
  homes.add(home);
  return home;
}

/** Removes every home tempHome made (only after the processes using them have ended). */
export function removeTempHomes(): void {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
  homes.clear();
}

export interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first stdout line matching `re`, or rejects after `timeoutMs`. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** @param prefix a command to run node under, e.g. `ip netns exec NS` (it must exec, keeping the PID). */
export function startProcess(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  prefix: string[] = [],
  launch: Launch = {},
): Proc {
  const [cmd, ...pre] = [...prefix, process.execPath];
  const cliArgs = [...(launch.node ?? []), ...ENTRIES[launch.entry ?? 'bundle']];
  const child = spawn(cmd, [...pre, ...cliArgs, ...args], {
    env: { ...process.env, CLAWBRIDGE_LOG: process.env.CLAWBRIDGE_LOG ?? 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      started.delete(child);
      resolve(code);
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForLine: (re, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const tick = () => {
          const m = out.match(re);
          if (m) return resolve(m);
          if (child.exitCode !== null || Date.now() > deadline) {
            return reject(
              new Error(`no line matching ${re} (exit ${child.exitCode}); stdout: ${out}\nstderr: ${err}`),
            );
          }
          setTimeout(tick, 25);
        };
        tick();
      }),
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface RelayProc {
  proc: Proc;
  /** `ws://127.0.0.1:PORT` as the relay printed it. */
  url: string;
  port: number;
}

/** A plain-ws relay process on 127.0.0.1 (port 0 = any free port), ready when it printed its URL. */
export async function startRelay(port = 0): Promise<RelayProc> {
  const proc = startProcess([
    'relay',
    '--listen',
    `127.0.0.1:${port}`,
    '--no-tls',
    '--home',
    tempHome('relay'),
  ]);
  const m = await proc.waitForLine(/^relay listening on (ws:\/\/127\.0\.0\.1:(\d+))$/m, START_MS);
  return { proc, url: m[1]!, port: Number(m[2]) };
}

/**
 * Ends every process this helper started and that still runs (by its PID, nothing else) and every
 * agent it started in this process, then removes the temp homes tempHome made.
 */
export async function stopAll(): Promise<void> {
  await stopInProcessAgents();
  await Promise.all(
    [...started].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
  removeTempHomes();
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `clawbridge pair join CODE` that waits for the other side's decision while the test acts in a window.
 * The join waits as long as the test's steps before the decision take (screenshots, both themes, other
 * agents starting), so its deadlines are long: a fixed 30 s shared with those steps ran out on a loaded
 * machine before the test clicked Approve or Reject. The test's own limit still bounds it.
 */
export function pairJoinAwaitingDecision(
  code: string,
  home: string,
  extra: string[] = [],
): Promise<CliResult> {
  return cli(['pair', 'join', code, ...extra, '--home', home, '--timeout', '10m'], 11 * 60_000);
}

/** Runs one CLI command to completion. */
export function cli(args: string[], timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`clawbridge ${args.join(' ')} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export async function cliJson<T>(args: string[]): Promise<T> {
  const r = await cli([...args, '--json']);
  if (r.code !== 0) throw new Error(`clawbridge ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * What `clawbridge id --json --home HOME` prints, from this process and by the same code (the identity
 * is made on first use, as `id` makes it): tests asked it ~180 times to learn a node's fingerprint for
 * their set-up, at ~0.3 s of CPU a CLI process. A test of the `id` command itself runs the CLI.
 */
export async function nodeId(home: string): Promise<{ name: string; fingerprint: string }> {
  // Loaded on first use: most test files never ask, and these modules cost a process tenths of a second.
  const [{ NodeState }, { nodeFingerprint }] = await Promise.all([
    import('../../src-main/state/node-state.js'),
    import('../../src-main/home/identity-store.js'),
  ]);
  const fingerprint = await nodeFingerprint(home);
  return { name: NodeState.open(home).get().name ?? 'clawbridge', fingerprint };
}

/**
 * One request to the running agent of `home` over its control socket, from this process: what the
 * matching `clawbridge … --json` command prints, for tests that poll. A CLI process costs ~0.4 s of CPU
 * to start, and a poll every 200 ms kept a core busy while the agents it waited for were starved.
 */
export async function agentCall<M extends MethodName>(
  home: string,
  method: M,
  params: MethodParams<M>,
): Promise<MethodResults[M]> {
  const client = await ControlClient.connect(controlSocketPath(home), home);
  try {
    return await client.call(method, params);
  } finally {
    client.close();
  }
}

/**
 * Waits (over the control socket, from this process) until the agent of `home` holds a pairing request,
 * then approves it as its owner does, `clawbridge approve --latest`; throws if that fails. Polling the
 * CLI's approve until it succeeded started a CLI process (~0.4 s of CPU) each poll.
 */
export async function approveWhenPending(home: string, timeoutMs = 30_000): Promise<void> {
  await until(
    'a pairing request on the device',
    async () => (await agentCall(home, 'pending.list', {})).length > 0,
    timeoutMs,
  );
  const approved = await cli(['approve', '--latest', '--home', home]);
  if (approved.code !== 0)
    throw new Error(`clawbridge approve --latest failed (${approved.code}): ${approved.stderr}`);
}

/** The peer `name` as `clawbridge peers --json --home HOME` lists it (`peers.list`), or undefined. */
export async function peerOf(home: string, name: string): Promise<PeerInfo | undefined> {
  return (await agentCall(home, 'peers.list', {})).find((p) => p.name === name);
}

export interface AgentOptions extends Launch {
  /** `--name`; without it the agent keeps the name its home has (or its default). */
  name?: string;
  /** `--relay` for each URL. */
  relay?: string | string[];
  /** `--listen ADDR` for direct links, or `false` for `--no-direct`; neither flag when absent. */
  listen?: string | false;
  /** `true`: the web UI on a free loopback port (`--ui-listen 127.0.0.1:0`); `false`: `--no-ui`. */
  ui?: boolean;
  /** More flags, after the ones above. */
  args?: string[];
  /** Environment added to the agent's. */
  env?: NodeJS.ProcessEnv;
  /** How long it may take to come up, in ms (START_MS when absent). */
  readyMs?: number;
  /** Run it inside this network namespace (`ip netns exec NS`; needs root, see test/helpers/netns.ts). */
  netns?: string;
  /** A command to run it under, e.g. `['prlimit', '--fsize=4096', '--']` (it must exec, keeping the PID). */
  prefix?: string[];
  /**
   * The CLI's whole argv, as a user or a hint would type it (`['agent', '--home', H, …]`), in place of
   * the one the options above make: for a test of that command line itself.
   */
  argv?: string[];
  /** V8 prints what its compilers do: `--trace-opt` and Sparkplug's batches (test/helpers/traced-agent.ts). */
  v8Trace?: boolean;
}

/** The Node flags that make V8 say what TurboFan and Sparkplug compiled. */
export const V8_TRACE_FLAGS = ['--trace-opt', '--trace-baseline-batch-compilation'];

/** How a start that must fail ended: the agent's exit code (or signal) and what it printed. */
export interface AgentFailure extends CliResult {
  signal: NodeJS.Signals | null;
}

/** A started agent: its process, and what it printed about itself when it came up. */
export interface AgentProc extends Proc {
  name: string;
  fingerprint: string;
  /** Its direct listener's address, or undefined with `--no-direct`. */
  listen: string | undefined;
  /** Its web UI's port, when it serves one. */
  uiPort: number | undefined;
}

/** The arguments of `clawbridge agent` for `home` with `opts`. */
export function agentArgs(home: string, opts: AgentOptions = {}): string[] {
  const relays = opts.relay === undefined ? [] : [opts.relay].flat();
  return [
    'agent',
    '--home',
    home,
    ...(opts.name === undefined ? [] : ['--name', opts.name]),
    ...relays.flatMap((url) => ['--relay', url]),
    ...(opts.listen === undefined ? [] : opts.listen === false ? ['--no-direct'] : ['--listen', opts.listen]),
    ...(opts.ui === undefined ? [] : opts.ui ? ['--ui-listen', '127.0.0.1:0'] : ['--no-ui']),
    ...(opts.args ?? []),
  ];
}

/** The line an agent prints once it runs: its name, fingerprint and direct address (or `off`). */
const RUNNING = /^agent (.+) running, fingerprint ([0-9a-f]{64}), direct (\S+)$/m;

/** `clawbridge agent` for `home` with `opts`, started (startAgent waits for it, or not). */
function spawnAgent(home: string, opts: AgentOptions): Proc {
  const prefix = [
    ...(opts.netns === undefined ? [] : ['ip', 'netns', 'exec', opts.netns]),
    ...(opts.prefix ?? []),
  ];
  const node = [...(opts.v8Trace ? V8_TRACE_FLAGS : []), ...(opts.node ?? [])];
  return startProcess(opts.argv ?? agentArgs(home, opts), opts.env, prefix, { node, entry: opts.entry });
}

/**
 * The agent fixture, the one way a test starts an agent: `clawbridge agent` for `home` with `opts`,
 * resolved once it printed that it runs (and where its web UI is, when it serves one). Ended by
 * `stopAll`, or by its `stop()`.
 *
 * With `expect: 'failure'` it is a start that must fail: resolves, once the agent exited, with its exit
 * code and what it printed (`assertAgentFailed` checks them); rejects, after stopping it, if the agent
 * printed that it runs instead. With `expect: 'nothing'` it resolves as soon as the process is started:
 * for a test that races two starts or watches what an agent does before it runs.
 *
 * With `inProcess` the agent runs in this process (app/run-agent.ts's `runAgent`, with those options
 * for `home`): for a test that reaches into its parts or gives it domains of its own.
 */
export function startAgent(home: string, opts: AgentOptions & { expect: 'failure' }): Promise<AgentFailure>;
export function startAgent(home: string, opts: AgentOptions & { expect: 'nothing' }): Promise<Proc>;
export function startAgent(home: string, opts: { inProcess: InProcessOptions }): Promise<RunningAgent>;
export function startAgent(home: string, opts?: AgentOptions & { expect?: 'running' }): Promise<AgentProc>;
export async function startAgent(
  home: string,
  opts: AgentOptions & { expect?: 'running' | 'failure' | 'nothing'; inProcess?: InProcessOptions } = {},
): Promise<AgentProc | AgentFailure | Proc | RunningAgent> {
  if (opts.inProcess) return startInProcess(home, opts.inProcess);
  const proc = spawnAgent(home, opts);
  const readyMs = opts.readyMs ?? START_MS;
  if (opts.expect === 'nothing') return proc;
  if (opts.expect === 'failure') return failedStart(proc, readyMs);
  const m = await proc.waitForLine(RUNNING, readyMs);
  const ui = /^web UI on 127\.0\.0\.1:(\d+) /m;
  // The web UI line follows the running line at once, when there is a web UI.
  const serves = opts.ui === true || (opts.args ?? []).includes('--ui-listen');
  const uiPort = serves ? Number((await proc.waitForLine(ui, readyMs))[1]) : undefined;
  return { ...proc, name: m[1]!, fingerprint: m[2]!, listen: m[3] === 'off' ? undefined : m[3], uiPort };
}

/** Waits for `proc`, an agent that must not come up, to exit; stops it and throws if it runs instead. */
async function failedStart(proc: Proc, timeoutMs = 30_000): Promise<AgentFailure> {
  const { child } = proc;
  const ended = () => child.exitCode !== null || child.signalCode !== null;
  const outcome = await until(
    'the agent to exit (its start must fail)',
    () => (ended() ? 'exited' : RUNNING.test(proc.stdout()) ? 'running' : undefined),
    timeoutMs,
  ).catch(async (err: unknown) => {
    await proc.stop('SIGKILL');
    throw err;
  });
  if (outcome === 'running') {
    await proc.stop();
    throw new Error(
      `the agent started, though its start must fail; stdout: ${proc.stdout()}\nstderr: ${proc.stderr()}`,
    );
  }
  const code = await proc.stop();
  // Its last words may still be in the pipes when it exits: they are read once the pipes close.
  if (child.stdout?.readable || child.stderr?.readable) await new Promise((r) => child.once('close', r));
  return { code, signal: child.signalCode, stdout: proc.stdout(), stderr: proc.stderr() };
}

/**
 * Asserts that a start made with `expect: 'failure'` ended as it should: exit code `code` (1 unless
 * told), and stderr matching `stderr` (a RegExp) or equal to it (a string).
 */
export function assertAgentFailed(
  failure: AgentFailure,
  stderr: RegExp | string,
  { code = 1 }: { code?: number } = {},
): void {
  const said = `exit ${failure.code ?? failure.signal}; stderr: ${failure.stderr}`;
  assert.equal(failure.code, code, `the agent's start failed with exit code ${code}: ${said}`);
  if (typeof stderr === 'string') assert.equal(failure.stderr, stderr, said);
  else assert.match(failure.stderr, stderr, said);
}

/**
 * `startAgent` named `name` on `relayUrl`, its direct listener on a free loopback port (and `extra`
 * flags, e.g. `--ui-listen 127.0.0.1:0`).
 */
export function startRelayAgent(
  home: string,
  name: string,
  relayUrl: string,
  extra: string[] = [],
): Promise<AgentProc> {
  return startAgent(home, { name, relay: relayUrl, listen: '127.0.0.1:0', args: extra });
}

/**
 * Agents at `homeA` and `homeB` (named `a` and `b`) trust each other with the default permissions,
 * as `peers add` on both does, over their control sockets; resolves once `a` has `b` online.
 */
export async function linkAsPeers(homeA: string, homeB: string): Promise<void> {
  const [idA, idB] = await Promise.all([nodeId(homeA), nodeId(homeB)]);
  await Promise.all([
    agentCall(homeA, 'peers.add', { fingerprint: idB.fingerprint, name: 'b' }),
    agentCall(homeB, 'peers.add', { fingerprint: idA.fingerprint, name: 'a' }),
  ]);
  await until('a linked to b', async () => (await peerOf(homeA, 'b'))?.state === 'online');
}

/**
 * Two agents `a` and `b` on `relayUrl` (direct listener and web UI on free ports), paired by code from
 * the CLI: `b` joins `a`'s code with `--allow` (what `a` may do on `b`) and `a` approves it.
 */
export async function pairedAgents(
  relayUrl: string,
  labels: [string, string],
  allow = 'terminal',
): Promise<{ homeA: string; homeB: string; a: Proc; b: Proc }> {
  const [homeA, homeB] = labels.map((l) => tempHome(l)) as [string, string];
  const ui = ['--ui-listen', '127.0.0.1:0'];
  const [a, b] = await Promise.all([
    startRelayAgent(homeA, 'a', relayUrl, ui),
    startRelayAgent(homeB, 'b', relayUrl, ui),
  ]);
  const { code } = await cliJson<{ code: string }>(['pair', 'new', '--home', homeA]);
  const join = cli(['pair', 'join', code, '--home', homeB, '--timeout', '30s', '--allow', allow]);
  // The default deadline: 15 s ran out at a load of 27 on the two cores before the join reached A.
  await until('B pending on A', async () => (await agentCall(homeA, 'pending.list', {})).length > 0);
  const approved = await cli(['approve', '--latest', '--home', homeA]);
  if (approved.code !== 0) throw new Error(`approve failed: ${approved.stderr}`);
  const joined = await join;
  if (joined.code !== 0) throw new Error(`pair join failed: ${joined.stderr}`);
  return { homeA, homeB, a, b };
}
