/**
 * What `clawbridge service install` turns into a platform's service definition: the command line to run
 * (this CLI's own node and script, absolute, so the service runs the same build the owner ran), the home
 * it serves and the flags it was given. Every generator (service-systemd.ts, service-launchd.ts,
 * service-windows-task.ts) is a pure function of this, so each platform's content is tested on any
 * platform (docs/service.md).
 */
import { createHash } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import { ClawError } from '../core/errors.js';

/** What a service runs: `clawbridge agent` or `clawbridge relay`. */
export type ServiceKind = 'agent' | 'relay';
export const SERVICE_KINDS: readonly ServiceKind[] = ['agent', 'relay'];

export interface ServiceSpec {
  readonly kind: ServiceKind;
  /** The home it serves, absolute. */
  readonly home: string;
  /** The node binary, absolute (`process.execPath`). */
  readonly node: string;
  /** The CLI's script, absolute (the bundle `bin/clawbridge.js` loads, or main.ts under tsx). */
  readonly script: string;
  /** Arguments node takes before the script (`--import tsx` when run from source); usually none. */
  readonly nodeArgs: readonly string[];
  /** The agent's or relay's own flags, after `--home`, as given. */
  readonly flags: readonly string[];
}

/**
 * Open files a relay may hold: one per node it serves (docs/relay-protocol.md §Capacity), and the
 * default soft limit (1024 on most Linux systems) caps a relay at under a thousand nodes. An agent
 * needs far fewer, but a busy set of forwards is many sockets too, and the limit costs nothing unused.
 */
export const SERVICE_OPEN_FILES = 65_536;

/** The folder in the home where a service's output goes on platforms without a journal. */
export const SERVICE_LOG_FOLDER = 'logs';
export const SERVICE_LOG_FILE = 'service.log';

/** The service's log file, where the platform keeps no journal of its own (macOS, Windows). */
export const serviceLogPath = (home: string): string => join(home, SERVICE_LOG_FOLDER, SERVICE_LOG_FILE);

/**
 * The service's name: one per home and kind, so the homes of two nodes on one machine never share one,
 * and the same home always maps to the same name (install refuses a second; uninstall finds it).
 */
export function serviceName(kind: ServiceKind, home: string): string {
  const tag = createHash('sha256').update(home).digest('hex').slice(0, 8);
  return `clawbridge-${kind}-${tag}`;
}

/** The command line the service runs, as an argument vector: node, its flags, the script, the command. */
export function serviceArgv(spec: ServiceSpec): string[] {
  return [spec.node, ...spec.nodeArgs, spec.script, spec.kind, '--home', spec.home, ...spec.flags];
}

/**
 * Refuses what no service definition can carry faithfully: a path that is not absolute (a service starts
 * in another directory) and control characters (a line break ends a unit's line or a plist's string as
 * an editor shows it; NUL ends a C string).
 */
export function checkServiceSpec(spec: ServiceSpec): void {
  for (const [what, path] of [
    ['the home', spec.home],
    ['node', spec.node],
    ['the CLI script', spec.script],
  ] as const) {
    if (!isAbsolute(path)) throw new ClawError('BAD_ARGUMENT', `${what} must be an absolute path: ${path}`);
  }
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  const control = /[\u0000-\u001f\u007f]/;
  for (const arg of serviceArgv(spec)) {
    if (control.test(arg)) {
      throw new ClawError(
        'BAD_ARGUMENT',
        `a service's command line cannot hold control characters (line breaks, tabs): ${JSON.stringify(arg)}`,
      );
    }
  }
}
