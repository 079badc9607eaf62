/**
 * Whether a process with this PID exists, for cleaning up after processes that died without doing it
 * themselves (temp files named by PID, a soak's network namespace).
 */

/** True unless no process has this PID (EPERM means one does, of another user). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
