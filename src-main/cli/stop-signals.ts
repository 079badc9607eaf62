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
