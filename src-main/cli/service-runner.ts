/**
 * How `clawbridge service` drives the platform's service manager (systemctl, launchctl, schtasks,
 * journalctl): one function that runs a program and says how it ended, which tests replace with a fake
 * that records the command lines and answers as the manager would.
 */
import { execFile } from 'node:child_process';

export interface CommandResult {
  /** The exit code; -1 when the program could not be started (not installed). */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export type ServiceRunner = (file: string, args: readonly string[]) => Promise<CommandResult>;

/** Most a manager's answer may hold (a journal's tail is the longest). */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** The real runner: no shell, so nothing in an argument is interpreted. */
export const systemRunner: ServiceRunner = (file, args) =>
  new Promise((resolve) => {
    execFile(file, [...args], { maxBuffer: MAX_OUTPUT_BYTES, windowsHide: true }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: err && code === -1 ? err.message : String(stderr) });
    });
  });
