/**
 * Electron's `utilityProcess` for tests, over `child_process.fork`: a real Node process running the
 * given entry (agent-process.ts as run-tests transpiled it, or under tsx), with `process.parentPort` made by the child-side shim
 * (fake-electron-utility-child.mjs) and the UtilityProcess shape agent-host.ts uses — postMessage,
 * kill, 'message' with the message itself, 'exit' with a code. Every process it starts is ended by
 * PID when the test file's process exits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { AgentChildProcess, AgentHostElectron } from '../../src-main/electron/agent-host.js';
import { sourceEntry } from './transpiled.js';

const SHIM = fileURLToPath(new URL('./fake-electron-utility-child.mjs', import.meta.url));

const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

class FakeUtilityProcess extends EventEmitter implements AgentChildProcess {
  /** Exit code once it ended (a signal counts as 128 + its number, as a shell reports it). */
  exitCode: number | undefined;

  constructor(readonly child: ChildProcess) {
    super();
    alive.add(child);
    child.on('message', (message) => this.emit('message', message));
    child.on('exit', (code, signal) => {
      alive.delete(child);
      this.exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
      this.emit('exit', this.exitCode);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  postMessage(message: unknown): void {
    if (this.child.connected) this.child.send(message as object);
  }

  /** Like Electron's: SIGTERM on POSIX. */
  kill(): boolean {
    return this.child.kill('SIGTERM');
  }
}

export interface FakeUtility {
  electron: AgentHostElectron;
  /** Every process forked so far, oldest first. */
  forked: FakeUtilityProcess[];
}

/** A fake `utilityProcess` whose children run `.ts` entries transpiled or with tsx, others as they are; stderr is kept per child. */
export function fakeUtilityProcess(): FakeUtility {
  const forked: FakeUtilityProcess[] = [];
  return {
    forked,
    electron: {
      utilityProcess: {
        fork(modulePath) {
          // A .ts entry runs as run-tests transpiled it, or under tsx (transpiled.ts); a bundled one
          // (bundled-entry.ts) runs on plain Node, ~2 CPU-s less than under tsx.
          const entry = modulePath.endsWith('.ts') ? sourceEntry(modulePath) : [modulePath];
          const child = fork(SHIM, entry.slice(-1), {
            execArgv: entry.slice(0, -1),
            env: { ...process.env, CLAWBRIDGE_LOG: process.env.CLAWBRIDGE_LOG ?? 'warn' },
            // Not 'inherit': the test file's stdout is node:test's channel to the runner (its reports,
            // serialized). An agent writing into it could split a report, and an agent (or a process
            // it started) still holding it would keep the runner waiting for that file to end. The
            // agent's output goes to this process's stderr instead, where the runner shows it.
            stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
          });
          child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
          child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
          const proc = new FakeUtilityProcess(child);
          forked.push(proc);
          return proc;
        },
      },
    },
  };
}
