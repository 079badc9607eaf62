/**
 * The signals that end a long-running command (`agent`, `relay`, `term`, `pair join`), each cleanly:
 * Ctrl-C, `kill`, and the hang-up a terminal window sends when it is closed.
 */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Ends the process once a command stopped cleanly on `signal`: with `code`, except after a hang-up.
 * Then the terminal is most likely gone, and Node 20's exit would restore its settings on it and
 * abort when the closed terminal refuses (ResetStdio's assertion: SIGABRT or SIGSEGV and a native
 * stack trace). So the hang-up is raised again with its default action, which ends the process as
 * a shell expects (status 129) without touching the terminal.
 */
export function exitAfterStop(signal: NodeJS.Signals | undefined, code: number): void {
  if (signal !== 'SIGHUP' || process.platform === 'win32') return void process.exit(code);
  process.removeAllListeners('SIGHUP');
  process.kill(process.pid, 'SIGHUP');
}

/** What listens for the stop signals: the process, or a stand-in in tests. */
export interface SignalSource {
  once(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

/** A long-running command's stop on a signal, armed before it starts (stopOnSignals). */
export interface SignalStop {
  /** The command runs: `stop` ends it. A signal that came while it started calls it now. */
  started(stop: (signal: NodeJS.Signals) => void): void;
  /** The start failed: the signals are no longer listened for (a signal that came is dropped). */
  cancel(): void;
}

/**
 * Listens for the stop signals from now on, before a command's start-up, which takes a while (an
 * agent opens its home, listeners and links): a signal then waits for the start and stops the command
 * cleanly after it, instead of the default action ending the process mid-start with nothing undone.
 * Only the first signal waits; a second one, meeting no listener, ends the process at once.
 */
export function stopOnSignals(source: SignalSource = process): SignalStop {
  let stop: ((signal: NodeJS.Signals) => void) | undefined;
  let early: NodeJS.Signals | undefined;
  const listeners = STOP_SIGNALS.map((signal) => {
    const listener = () => {
      if (stop) stop(signal);
      else early ??= signal;
    };
    source.once(signal, listener);
    return [signal, listener] as const;
  });
  return {
    started(s) {
      stop = s;
      if (early) s(early);
    },
    cancel() {
      for (const [signal, listener] of listeners) source.off(signal, listener);
    },
  };
}
