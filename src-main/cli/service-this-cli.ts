/**
 * The service spec for this CLI: its own node and script, absolute, so a service runs the build that
 * installed it; the flags checked against `clawbridge agent` / `relay` now, so a typo is refused at
 * install rather than found in a service that fails at every start.
 */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from './commander.js';
import { ClawError } from '../core/errors.js';
import { currentUid, resolveHome } from '../home/home-dir.js';
import { registerServerCommands } from './server-commands.js';
import type { ServiceMachine } from './service-manager.js';
import { systemRunner } from './service-runner.js';
import type { ServiceKind, ServiceSpec } from './service-spec.js';
import type { AgentFlag } from './domain-cli.js';

/** Node flags whose value names a module: a bare package name is resolved from here, to a file URL. */
const MODULE_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);

/**
 * This process's node flags as a service needs them: a module named by package (`--import tsx` when
 * run from source) resolved to its file, since a service starts in another directory.
 */
export function absoluteNodeArgs(
  execArgv: readonly string[],
  resolveModule: (s: string) => string,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    out.push(arg);
    const value = execArgv[i + 1];
    if (MODULE_FLAGS.has(arg) && value !== undefined) {
      const bare = !value.startsWith('.') && !isAbsolute(value) && !value.startsWith('file:');
      out.push(bare ? resolveModule(value) : value.startsWith('.') ? resolve(value) : value);
      i++;
    }
  }
  return out;
}

/**
 * A module named by package, as a file URL, resolved as `--import` would from here. The CLI's bundle is
 * CommonJS (ADR 0121), where the bundler leaves `import.meta.resolve` undefined: there `require`'s
 * resolution stands in (a package's `require` entry where it has one apart from its `import` entry).
 */
function resolveModule(specifier: string): string {
  if (typeof import.meta.resolve === 'function') return import.meta.resolve(specifier);
  return pathToFileURL(createRequire(import.meta.url).resolve(specifier)).href;
}

/**
 * Refuses flags `clawbridge agent` / `relay` would refuse (unknown, a value missing) and words that
 * are no flag, with commander's own words. `agentFlags`: those the domains add to `agent`
 * (domain-commands.ts domainAgentFlags).
 */
export function checkServerFlags(
  kind: ServiceKind,
  flags: readonly string[],
  agentFlags: readonly AgentFlag[] = [],
): void {
  const program = new Command('clawbridge');
  registerServerCommands(program, agentFlags);
  const command = program.commands.find((c) => c.name() === kind)!;
  command.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  if (flags.some((f) => f === '--home' || f.startsWith('--home=')))
    throw new ClawError('BAD_ARGUMENT', '--home goes before the flags, once');
  let parsed: { operands: string[]; unknown: string[] };
  try {
    parsed = command.parseOptions([...flags]);
  } catch (err) {
    if (err instanceof CommanderError)
      throw new ClawError('BAD_ARGUMENT', `${kind}: ${err.message.replace(/^error: /, '')}`);
    throw err;
  }
  const stray = [...parsed.operands, ...parsed.unknown];
  if (stray.length > 0)
    throw new ClawError(
      'BAD_ARGUMENT',
      `clawbridge ${kind} takes no ${stray[0]!.startsWith('-') ? 'option' : 'argument'} ${stray[0]} (see \`clawbridge ${kind} --help\`)`,
    );
}

/** What of a CLI process a service repeats: how node was started, and with which script. */
export interface CliProcess {
  readonly execPath: string;
  readonly execArgv: readonly string[];
  /** The script node ran (`process.argv[1]`): a link to it (`/usr/bin/clawbridge`) is followed. */
  readonly script: string;
}

const thisProcess = (): CliProcess => ({
  execPath: process.execPath,
  execArgv: process.execArgv,
  script: process.argv[1]!,
});

/**
 * The spec for `kind` on `home` (a flag, or resolved as every command does) with `flags`, run by the
 * CLI process `cli` (this one); `agentFlags` are the domains' flags of `agent`, accepted with its own.
 */
export function specForCli(
  kind: ServiceKind,
  home: string | undefined,
  flags: readonly string[],
  cli: CliProcess = thisProcess(),
  agentFlags: readonly AgentFlag[] = [],
): ServiceSpec {
  checkServerFlags(kind, flags, agentFlags);
  return {
    kind,
    home: resolveHome(home),
    node: cli.execPath,
    script: realpathSync(cli.script),
    nodeArgs: absoluteNodeArgs(cli.execArgv, resolveModule),
    flags: [...flags],
  };
}

/** This machine, its manager driven for real. */
export function thisMachine(): ServiceMachine {
  return {
    platform: process.platform,
    run: systemRunner,
    uid: currentUid(),
    user: userInfo().username,
    ...(process.env.USERDOMAIN ? { userDomain: process.env.USERDOMAIN } : {}),
    osHome: homedir(),
    env: process.env,
    systemUnitDir: '/etc/systemd/system',
    lingerDir: '/var/lib/systemd/linger',
    now: () => new Date(),
  };
}
