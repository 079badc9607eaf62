/**
 * Whole commands timed from a small process of their own (bench/command-timer-child.ts says why):
 * `run` resolves with the wall time from spawn to exit, in ms, measured there.
 */
import { startChild, type BenchChild } from './child.js';

export interface CommandTimer {
  /** Runs `file args` to its end; its wall time in ms, or a rejection saying why it failed. */
  run(file: string, args: readonly string[], what: string, timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

export function startCommandTimer(): CommandTimer {
  const child: BenchChild = startChild('./command-timer-child.ts');
  return {
    run: async (file, args, what, timeoutMs) =>
      (await child.request<{ ms: number }>('run', { file, args, what, timeoutMs }, timeoutMs + 5_000)).ms,
    stop: () => child.stop(),
  };
}
