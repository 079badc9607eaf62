/**
 * Which module registers each top-level command, so `clawbridge status` loads the few modules status
 * needs rather than the whole agent (a client command's start-up is most of its wall time, and parsing
 * the agent's modules was most of that: docs/design/loading-on-demand.md). The help, `--version` and
 * unknown commands load them all. The CLI's own modules are listed here; a domain's come from its
 * `cli/` part (domain-commands.ts, docs/adr/0086-cli-and-window-per-domain.md), found from the list of
 * domains, so the tables below are promises. A unit test registers each module and checks this table
 * against what it defines.
 */
import type { Command } from 'commander';
import type { CommandModuleDescription, Register } from './domain-cli.js';
import { domainAgentFlags, domainClis } from './domain-commands.js';

/** The CLI's own command modules: the node, its peers and pairing, its logs and the window. */
const OWN_MODULES: Readonly<Record<string, CommandModuleDescription>> = {
  id: {
    helpOrder: 10,
    commands: ['id'],
    load: async (): Promise<Register> => (await import('./id-command.js')).registerIdCommand,
  },
  server: {
    helpOrder: 20,
    commands: ['agent', 'relay'],
    // With the flags the domains add to `agent` (their cli/ parts' small descriptions).
    load: async (): Promise<Register> => {
      const [{ registerServerCommands }, agentFlags] = await Promise.all([
        import('./server-commands.js'),
        domainAgentFlags(),
      ]);
      return (program) => registerServerCommands(program, agentFlags);
    },
  },
  service: {
    helpOrder: 22,
    commands: ['service'],
    load: async (): Promise<Register> => (await import('./service-command.js')).registerServiceCommand,
  },
  status: {
    helpOrder: 25,
    commands: ['status'],
    load: async (): Promise<Register> => (await import('./status-command.js')).registerStatusCommand,
  },
  client: {
    helpOrder: 30,
    commands: ['peers', 'stop', 'ping'],
    load: async (): Promise<Register> => (await import('./client-commands.js')).registerClientCommands,
  },
  pair: {
    helpOrder: 40,
    commands: ['pair', 'pending', 'approve', 'reject'],
    load: async (): Promise<Register> => (await import('./pair-commands.js')).registerPairCommands,
  },
  connections: {
    helpOrder: 70,
    commands: ['connections'],
    load: async (): Promise<Register> =>
      (await import('./connections-command.js')).registerConnectionsCommand,
  },
  log: {
    helpOrder: 80,
    commands: ['log'],
    load: async (): Promise<Register> => (await import('./log-command.js')).registerLogCommand,
  },
  ui: {
    helpOrder: 120,
    commands: ['ui'],
    load: async (): Promise<Register> => (await import('./ui-command.js')).registerUiCommand,
  },
  settings: {
    helpOrder: 130,
    commands: ['settings'],
    load: async (): Promise<Register> => (await import('./mine-commands.js')).registerSettingsCommand,
  },
};

/** Every command module, the CLI's and the domains', in the order the help lists their commands. */
async function allModules(): Promise<readonly [string, CommandModuleDescription][]> {
  return [
    ...Object.entries(OWN_MODULES),
    ...(await domainClis()).flatMap((d) => Object.entries(d.modules)),
  ].sort(([, a], [, b]) => a.helpOrder - b.helpOrder);
}

export type CommandModule = string;

/** Module name → what loads its register function. */
export async function commandModules(): Promise<Readonly<Record<CommandModule, () => Promise<Register>>>> {
  return Object.fromEntries((await allModules()).map(([name, m]) => [name, m.load]));
}

/** Top-level command → the module that registers it. */
export async function commandOwners(): Promise<Readonly<Record<string, CommandModule>>> {
  return ownersOf(await allModules());
}

const ownersOf = (modules: readonly [string, CommandModuleDescription][]) =>
  Object.fromEntries(modules.flatMap(([name, m]) => m.commands.map((command) => [command, name])));

/**
 * The modules to load for this command line: the one owning its command (the first word not starting
 * with `-`); none for a bare `--version` (the program prints it); all of them when there is no command
 * or it is not one (help, a typo), since the help lists every command. The CLI's own commands are
 * looked up before the domains' parts are read.
 */
export async function modulesFor(args: readonly string[]): Promise<CommandModule[]> {
  const word = args.find((a) => !a.startsWith('-'));
  const owner = (owners: Readonly<Record<string, CommandModule>>) =>
    word !== undefined && Object.hasOwn(owners, word) ? owners[word] : undefined;
  const own = owner(ownersOf(Object.entries(OWN_MODULES)));
  if (own) return [own];
  const asksVersion = args.some((a) => a === '--version' || a === '-V');
  const asksHelp = args.some((a) => a === '--help' || a === '-h');
  if (word === undefined && asksVersion && !asksHelp) return [];
  const domainOwner = owner(await commandOwners());
  if (domainOwner) return [domainOwner];
  return Object.keys(await commandModules());
}

/** Registers the commands `args` needs on `program`. */
export async function registerCommandsFor(program: Command, args: readonly string[]): Promise<void> {
  const modules = await commandModules();
  for (const name of await modulesFor(args)) (await modules[name]!())(program);
}
