/**
 * A real `clawbridge agent` whose V8 prints what its compilers do (`--trace-opt`, Sparkplug's batch
 * compilation): the compiler tests start it, drive it over its control socket and read which functions
 * TurboFan or Sparkplug compiled after it started. The trace flags name no compiler, so the agent holds
 * and releases them as it does for users.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlClient } from '../../src-main/api/control-client.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import { until } from './wait.js';

const main = fileURLToPath(new URL('../../src-main/cli/main.ts', import.meta.url));

export interface TracedAgent {
  /** A control-socket client of the agent (closed by `stop`). */
  client: ControlClient;
  /** The trace lines printed since the agent said it runs. */
  linesSinceStart(): string[];
  /** CPU time (user + system, all its threads) the agent's process has used so far, in ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** Lines of a trace that say TurboFan finished a function. */
export const TURBOFAN_LINE = /completed optimizing/;
/** Lines of a trace that say Sparkplug compiled a batch. */
export const SPARKPLUG_LINE = /^\[Baseline batch compilation\]/;

/** Starts agent `a` in a fresh home (removed by `stop`), and connects to it once it runs. */
export async function startTracedAgent(label: string): Promise<TracedAgent> {
  const home = mkdtempSync(join(tmpdir(), `cb-${label}-`));
  const agent = spawn(
    process.execPath,
    [
      '--trace-opt',
      '--trace-baseline-batch-compilation',
      '--import',
      'tsx',
      main,
      'agent',
      '--home',
      home,
      '--name',
      'a',
      '--listen',
      '127.0.0.1:0',
      '--no-ui',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CLAWBRIDGE_LOG: 'warn' } },
  );
  let out = '';
  let err = '';
  agent.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  agent.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise((resolve) => agent.once('exit', resolve));
  const stopProcess = async () => {
    agent.kill('SIGTERM');
    await exited;
    rmSync(home, { recursive: true, force: true });
  };
  let client: ControlClient;
  let served: number;
  try {
    await until('the agent to start', () => /agent a running/.test(out) || agent.exitCode !== null, 60_000);
    assert.ok(agent.exitCode === null, `agent did not start: ${err}`);
    served = out.length;
    client = await ControlClient.connect(controlSocketPath(home), home);
  } catch (e) {
    await stopProcess();
    throw e;
  }
  return {
    client,
    linesSinceStart: () => out.slice(served).split('\n'),
    cpuMs: () => processCpuMs(agent.pid ?? 0),
    stop: async () => {
      client.close();
      await stopProcess();
    },
  };
}

/**
 * Clock ticks per second of /proc's CPU times: USER_HZ, which Linux fixes at 100 for user space on
 * every architecture the project runs on.
 */
const USER_HZ = 100;

/** CPU time (utime + stime) process `pid` has used, in ms, from /proc/PID/stat (Linux). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its end.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
}
