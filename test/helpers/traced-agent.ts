/**
 * A real `clawbridge agent` whose V8 prints what its compilers do (`--trace-opt`, Sparkplug's batch
 * compilation): the compiler tests start it, drive it over its control socket and read which functions
 * TurboFan or Sparkplug compiled after it started. The trace flags name no compiler, so the agent holds
 * and releases them as it does for users.
 */
import { readFileSync } from 'node:fs';
import { ControlClient } from '../../src-main/api/control-client.js';
import { controlSocketPath } from '../../src-main/home/home-dir.js';
import { startAgent, tempHome } from './processes.js';

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

/**
 * Agent `a`, run from the source (the trace names the source's functions), in a fresh home (removed
 * with the test's others), connected to once it runs.
 */
export async function startTracedAgent(label: string): Promise<TracedAgent> {
  const home = tempHome(label);
  const agent = await startAgent(home, {
    name: 'a',
    listen: '127.0.0.1:0',
    ui: false,
    v8Trace: true,
    entry: 'source',
  });
  const served = agent.stdout().length;
  let client: ControlClient;
  try {
    client = await ControlClient.connect(controlSocketPath(home), home);
  } catch (e) {
    await agent.stop();
    throw e;
  }
  return {
    client,
    linesSinceStart: () => agent.stdout().slice(served).split('\n'),
    cpuMs: () => processCpuMs(agent.child.pid ?? 0),
    stop: async () => {
      client.close();
      await agent.stop();
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
