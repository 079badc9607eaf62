/**
 * The signals that end a long-running command (`agent`, `relay`, `term`, `pair join`), each cleanly:
 * Ctrl-C, `kill`, and the hang-up a terminal window sends when it is closed.
 */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
