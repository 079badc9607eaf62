/**
 * Main's side of the desktop app's session host (docs/adr/0022-session-host.md §The desktop app):
 * the agent's utility process cannot start the host itself (the packed binary is Electron with its
 * RunAsNode fuse off, and only main may fork a utility process), so it asks main
 * (`session-host-wanted`) and main forks `session-host-process.js` as a second utility process. The
 * host is main's child, not the agent's: it outlives a crash of the agent's process, which the
 * supervisor (agent-host.ts) starts again, and the new agent adopts it over the private socket as the
 * CLI agent does. At Quit main ends it after the agent stopped (see stopHosts). The decisions are the
 * pure functions here; the launcher only forks, posts and kills.
 */
import { errorMessage } from '../core/errors.js';
import type { HostToSessionHostMessage } from './session-host-process-messages.js';

/** File name of the compiled session-host entry next to main.js (and agent-process.js). */
export const SESSION_HOST_PROCESS_FILE = 'session-host-process.js';

/**
 * How long a forked host counts as starting, in ms (10 s: the agent's client polls the socket that
 * long, host-client.ts HOST_START_MS). A second request in that time is the same start, not a new one.
 */
export const HOST_STARTING_MS = 10_000;

/**
 * How long Quit waits for the host to exit by itself after the agent stopped, in ms (2 s). The agent's
 * graceful stop hangs up every session and says `bye`, after which the host exits at once; past this
 * it is killed. Electron ends utility processes with the app in any case.
 */
export const HOST_QUIT_WAIT_MS = 2_000;

/** The part of a utility process the launcher uses (Electron's UtilityProcess). */
export interface HostChildProcess {
  readonly pid: number | undefined;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'exit', listener: (code: number) => void): this;
}

/** The part of the `electron` module the launcher uses. */
export interface SessionHostElectron {
  utilityProcess: {
    fork(
      modulePath: string,
      args?: string[],
      options?: { serviceName?: string; stdio?: 'inherit' | 'pipe' | 'ignore' },
    ): HostChildProcess;
  };
}

/** A host main forked, until it exits. */
export interface LaunchedHost {
  proc: HostChildProcess;
  forkedAt: number;
  exited: Promise<void>;
}

/** What to do when the agent asks for a host. Pure. */
export type HostRequestPlan = { fork: true } | { fork: false; why: string };

/**
 * Forks unless the app is quitting, or a host main forked is still starting (the agent is polling its
 * socket; a second process would only find the first answering and exit). A live host older than that
 * that the agent could not reach is not answering on the socket (it failed to bind, or is on its way
 * out): a new one replaces its stale socket file, so it is forked again.
 */
export function planHostRequest(
  live: readonly Pick<LaunchedHost, 'forkedAt'>[],
  now: number,
  quitting: boolean,
): HostRequestPlan {
  if (quitting) return { fork: false, why: 'the app is quitting' };
  if (live.some((h) => now - h.forkedAt < HOST_STARTING_MS))
    return { fork: false, why: 'a session host is starting already' };
  return { fork: true };
}

export interface SessionHostLauncherOptions {
  /** Absolute path of the compiled session-host-process.js (next to main.js). */
  entry: string;
  /** The host's socket: the one the agent's client dials (host-client.ts sessionHostSocketPath). */
  socketPath: () => string;
  /** Where the host writes its log (the app's logs folder). */
  logPath: string;
  /** The home's pipe.key, for a host on a Windows named pipe (home/pipe-proof.ts). */
  keyFile?: string;
  log: (line: string) => void;
  now?: () => number;
}

export interface SessionHostLauncher {
  /** The agent asked for a host (`session-host-wanted`). */
  request(): void;
  /**
   * Quit, after the agent stopped: resolves once every host main forked has exited, by itself within
   * `waitMs` or killed then. Later requests are refused.
   */
  stop(waitMs?: number): Promise<void>;
  /**
   * A restart to install an update: the hosts are not told to end and nothing is forked any more. A
   * host still running when the next version's agent starts is adopted over the private socket; in a
   * packed app Electron ends it with the main process, and its served shells with it (docs/adr/0082).
   */
  leave(): void;
  /** Hosts forked and not yet exited (tests). */
  readonly live: number;
}

export function sessionHostLauncher(
  e: SessionHostElectron,
  opts: SessionHostLauncherOptions,
): SessionHostLauncher {
  const now = opts.now ?? Date.now;
  const live = new Set<LaunchedHost>();
  let quitting = false;

  const request = (): void => {
    const plan = planHostRequest([...live], now(), quitting);
    if (!plan.fork) return opts.log(`session host not started: ${plan.why}`);
    let proc: HostChildProcess;
    try {
      proc = e.utilityProcess.fork(opts.entry, [], { serviceName: 'Clawbridge sessions', stdio: 'ignore' });
    } catch (err) {
      // The agent's client gives up polling in 10 s and tells the peer the terminal did not open.
      return opts.log(`the session host could not be started: ${errorMessage(err)}`);
    }
    const host: LaunchedHost = {
      proc,
      forkedAt: now(),
      exited: new Promise<void>((resolve) =>
        proc.on('exit', (code) => {
          live.delete(host);
          if (code !== 0 && !quitting) opts.log(`session host (pid ${proc.pid}) exited with ${code}`);
          resolve();
        }),
      ),
    };
    live.add(host);
    const start: HostToSessionHostMessage = {
      type: 'start',
      socketPath: opts.socketPath(),
      logPath: opts.logPath,
      ...(opts.keyFile ? { keyFile: opts.keyFile } : {}),
    };
    proc.postMessage(start);
  };

  const stop = (waitMs = HOST_QUIT_WAIT_MS): Promise<void> => {
    quitting = true;
    return stopHosts([...live], waitMs);
  };

  const leave = (): void => {
    quitting = true;
    for (const host of live)
      opts.log(`session host (pid ${host.proc.pid}) left running for the next version`);
    live.clear();
  };

  return {
    request,
    stop,
    leave,
    get live() {
      return live.size;
    },
  };
}

/**
 * Quit's end of the hosts: the agent has stopped (its `closeAll … bye` hung up every session and told
 * peers), so each host is exiting by itself; one still there after `waitMs` is killed. Shells do not
 * outlive the app, as VS Code's terminals do not outlive it: Electron ends utility processes with
 * main anyway, and a user who quit should not leave shells running that no window shows.
 */
export function stopHosts(hosts: readonly LaunchedHost[], waitMs: number): Promise<void> {
  return Promise.all(
    hosts.map(({ proc, exited }) => {
      const timer = setTimeout(() => proc.kill(), waitMs);
      return exited.finally(() => clearTimeout(timer));
    }),
  ).then(() => undefined);
}
