/**
 * One step asked of a service manager, and what a failed one says: the manager's own words, and for
 * the failures a new user meets (no user bus in a `su` shell, no systemd in a container) what to do.
 */
import { ClawError } from '../core/errors.js';
import { shellWord } from '../core/shell-word.js';
import type { ServiceMachine } from './service-locate.js';
import type { ServiceManagerName } from './service-record.js';
import type { CommandResult } from './service-runner.js';

/** The first line the manager said, on stderr or else stdout. */
const saidBy = (r: CommandResult): string => (r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? '';

/** @throws ClawError('SERVICE_FAILED') naming the step, its exit code, its words and `advice`. */
export function serviceFailed(what: string, r: CommandResult, advice?: string): never {
  const said = saidBy(r);
  throw new ClawError(
    'SERVICE_FAILED',
    `${what} failed (exit ${r.code})${said ? `: ${said}` : ''}${advice ? `. ${advice}` : ''}`,
  );
}

/** Runs a step; a non-zero exit fails with serviceFailed. */
export async function must(
  m: ServiceMachine,
  what: string,
  file: string,
  args: readonly string[],
  advice?: (r: CommandResult) => string | undefined,
): Promise<void> {
  const r = await m.run(file, args);
  if (r.code !== 0) serviceFailed(what, r, advice?.(r));
}

/** systemctl's arguments for a user or a system unit. */
export const systemctlArgs = (manager: ServiceManagerName, ...args: string[]): string[] =>
  manager === 'systemd' ? ['--user', ...args] : args;

/** What systemctl says when there is no user manager to reach (a `su` or `sudo` shell, no session). */
const NO_USER_BUS =
  /failed to connect to (the )?bus|DBUS_SESSION_BUS_ADDRESS|XDG_RUNTIME_DIR|no medium found/i;
/** What systemctl says when PID 1 is not systemd (most containers, WSL without systemd). */
const NO_SYSTEMD = /not been booted with systemd|failed to connect to (the )?bus|host is down|not running/i;

/**
 * What to do after a systemctl step failed, for the failures with a known cause; undefined otherwise
 * (the manager's own words then stand alone).
 */
export function systemdAdvice(
  m: ServiceMachine,
  manager: ServiceManagerName,
  home: string,
  r: CommandResult,
): string | undefined {
  const said = `${r.stderr}\n${r.stdout}`;
  if (r.code === -1)
    return 'systemctl cannot be run here (this system has no systemd): run `clawbridge agent` under the init system it has';
  if (manager === 'systemd' && NO_USER_BUS.test(said)) {
    const user = shellWord(m.user);
    return (
      `${m.user} has no user manager running here (no user bus: a shell from su or sudo, or a session that ended). ` +
      `Log in as ${m.user} (ssh or a console) and install again; or have root run \`loginctl enable-linger ${user}\`, ` +
      `then, as ${m.user}, \`export XDG_RUNTIME_DIR=/run/user/${m.uid}\` and install again`
    );
  }
  if (manager === 'systemd-system' && NO_SYSTEMD.test(said))
    return `this machine is not run by systemd (PID 1 is another init, as in most containers): start \`clawbridge agent --home ${shellWord(home)}\` as its user under the init system it has`;
  return undefined;
}
