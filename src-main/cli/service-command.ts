/**
 * `clawbridge service install|uninstall|status|logs`: the agent or the relay as the platform's own
 * service (docs/service.md) — started at boot or login, started again after a failure, one per home.
 */
import type { Command } from 'commander';
import { ClawError } from '../core/errors.js';
import { resolveHome } from '../home/home-dir.js';
import { hintCommand, printBlock, printJson, printLine, printNote, shellWord } from './output.js';
import { findServices, type LocatedService } from './service-locate.js';
import { installService, uninstallService, type ServiceMachine } from './service-manager.js';
import { serviceLogs, serviceState, type ServiceState } from './service-query.js';
import { readServiceRecordFile, type ServiceRecord } from './service-record.js';
import { SERVICE_KINDS, type ServiceKind } from './service-spec.js';
import { specForCli, thisMachine } from './service-this-cli.js';
import { domainAgentFlags } from './domain-commands.js';

interface HomeJson {
  home?: string;
  json?: boolean;
}

/** Lines of the log `service logs` prints unless told. */
export const DEFAULT_LOG_LINES = 50;

const OWN_FLAGS = [
  ['--home', 'home'],
  ['--run-as', 'runAs'],
] as const;

/** Pulls `--home DIR` / `--home=DIR` and `--run-as USER` out of install's words; the rest are the flags. */
export function splitInstallWords(words: readonly string[]): {
  home?: string;
  runAs?: string;
  flags: string[];
} {
  const out: { home?: string; runAs?: string; flags: string[] } = { flags: [] };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const own = OWN_FLAGS.find(([flag]) => w === flag || w.startsWith(`${flag}=`));
    if (!own) {
      out.flags.push(w);
      continue;
    }
    const [flag, key] = own;
    if (out[key] !== undefined) throw new ClawError('BAD_ARGUMENT', `${flag} is given twice`);
    const value = w === flag ? words[++i] : w.slice(flag.length + 1);
    if (value === undefined) throw new ClawError('BAD_ARGUMENT', `${flag} needs a value`);
    out[key] = value;
  }
  return out;
}

const managerWords: Record<ServiceRecord['manager'], string> = {
  systemd: 'systemd user unit',
  'systemd-system': 'systemd system unit',
  launchd: 'launchd agent',
  schtasks: 'scheduled task at logon',
};

/**
 * The home's record when this user wrote it: what it says the service runs is shown only then. Root
 * looking at a system unit's home finds the record the service's user can rewrite, and shows the unit.
 */
function ownRecord(m: ServiceMachine, home: string, service: LocatedService): ServiceRecord | undefined {
  const read = readServiceRecordFile(home);
  // Windows gives files no uid: there the home is the user's own, the only one who installs.
  const own = read && (m.platform === 'win32' || read.ownerUid === m.uid);
  return own && read.record.name === service.name ? read.record : undefined;
}

/** `service status`'s lines; `record`: the home's, when it is this user's own (ownRecord). */
export function serviceStatusLines(
  service: LocatedService,
  record: ServiceRecord | undefined,
  state: ServiceState,
): string[] {
  const running = [
    state.state,
    ...(state.pid !== undefined ? [`pid ${state.pid}`] : []),
    ...(state.since ? [`since ${state.since}`] : []),
  ].join(', ');
  return [
    `service:  ${service.name} (${managerWords[service.manager]})${record ? `, installed ${record.installedAt}` : ''}`,
    record
      ? `runs:     clawbridge ${record.kind}${record.flags.length ? ` ${record.flags.map(shellWord).join(' ')}` : ''}`
      : `runs:     clawbridge ${service.kind}, as ${service.definition} says`,
    `state:    ${running}`,
    `log:      ${service.log}`,
    `defined:  ${service.definition}`,
  ];
}

export function registerServiceCommand(program: Command, machine: () => ServiceMachine = thisMachine): void {
  const service = program
    .command('service')
    .description('run the agent or a relay as a service: started at boot or login, again after a failure');

  service
    .command('install')
    .description(
      'install and start `clawbridge agent` (or `relay`) with these flags as a service of this platform (systemd, launchd, Task Scheduler)',
    )
    .argument('[kind]', `${SERVICE_KINDS.join(' or ')} (default agent)`)
    .argument('[flags...]', "the agent's or the relay's own flags, as `clawbridge agent` takes them")
    .option('--home <dir>', 'node home directory the service serves')
    .option('--run-as <user>', 'Linux, as root: a system unit that runs as this user')
    .allowUnknownOption()
    .action(async (_kind: string | undefined, _flags: string[], _opts: unknown, cmd: Command) => {
      // Read from the words as given: commander stops parsing its own options at the first unknown one.
      const opts = cmd.opts<{ home?: string; runAs?: string }>();
      const words = [...cmd.args];
      const first = words[0];
      const kind: ServiceKind =
        first === 'agent' || first === 'relay' ? (words.shift() as ServiceKind) : 'agent';
      if (first !== undefined && !first.startsWith('-') && first !== kind)
        throw new ClawError('BAD_ARGUMENT', `service install takes agent or relay, got '${first}'`);
      const split = splitInstallWords(words);
      const home = split.home ?? opts.home;
      const runAs = split.runAs ?? opts.runAs;
      const spec = specForCli(kind, home, split.flags, undefined, await domainAgentFlags());
      const { record, notes } = await installService(machine(), spec, runAs ? { runAs } : {});
      printLine(
        `installed and started ${record.name} (${managerWords[record.manager]}): clawbridge ${[kind, ...spec.flags].map(shellWord).join(' ')}`,
      );
      for (const note of notes) printNote(note);
      printNote(`see it with \`${hintCommand('service status', home)}\``);
    });

  service
    .command('uninstall')
    .description("stop the home's service and remove it")
    .option('--home <dir>', 'node home directory')
    .action(async (opts: HomeJson) => {
      const home = resolveHome(opts.home);
      const removed = await uninstallService(machine(), home);
      for (const service of removed) printLine(`stopped and removed ${service.name}`);
      if (removed.length === 0)
        printLine(
          `no service was installed for the home ${home}; removed the service.json a failed install left`,
        );
    });

  service
    .command('status')
    .description("what the home's service runs, since when, with which flags, and where its log is")
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (opts: HomeJson) => {
      const home = resolveHome(opts.home);
      const m = machine();
      const [service] = await findServices(m, home);
      if (!service) {
        if (opts.json) return printJson({ installed: false, home });
        return printLine(
          `no service for the home ${home} (install one: \`${hintCommand('service install agent', opts.home)}\`)`,
        );
      }
      const record = ownRecord(m, home, service);
      const state = await serviceState(m, service);
      if (opts.json) return printJson({ installed: true, home, ...record, ...service, ...state });
      for (const line of serviceStatusLines(service, record, state)) printLine(line);
    });

  service
    .command('logs')
    .description("the last lines of the home's service's output")
    .option('--home <dir>', 'node home directory')
    .option('-n, --lines <n>', `how many lines (default ${DEFAULT_LOG_LINES})`)
    .option('--json', 'print JSON')
    .action(async (opts: HomeJson & { lines?: string }) => {
      const lines = opts.lines === undefined ? DEFAULT_LOG_LINES : Number(opts.lines);
      if (!Number.isSafeInteger(lines) || lines < 1)
        throw new ClawError('BAD_ARGUMENT', `--lines takes a whole number from 1 up, got '${opts.lines}'`);
      const home = resolveHome(opts.home);
      const m = machine();
      const [service] = await findServices(m, home);
      if (!service) throw new ClawError('BAD_ARGUMENT', `the home ${home} has no service installed`);
      const out = await serviceLogs(m, service, lines);
      if (opts.json) return printJson({ log: service.log, lines: out });
      printBlock(out.length ? out.join('\n') : `nothing in ${service.log} yet`);
    });
}
