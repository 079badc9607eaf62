/**
 * Which module registers each top-level command, so `clawbridge status` loads the few modules status
 * needs rather than the whole agent (a client command's start-up is most of its wall time, and parsing
 * the agent's modules was most of that: docs/design/loading-on-demand.md). The help, `--version` and
 * unknown commands load them all. A unit test registers each module and checks this table against what
 * it defines.
 */
import type { Command } from 'commander';

type Register = (program: Command) => void;

export const COMMAND_MODULES = {
  // In the order the help lists them.
  id: async (): Promise<Register> => (await import('./id-command.js')).registerIdCommand,
  server: async (): Promise<Register> => (await import('./server-commands.js')).registerServerCommands,
  client: async (): Promise<Register> => (await import('./client-commands.js')).registerClientCommands,
  pair: async (): Promise<Register> => (await import('./pair-commands.js')).registerPairCommands,
  forward: async (): Promise<Register> => (await import('./forward-commands.js')).registerForwardCommands,
  term: async (): Promise<Register> => (await import('./term-command.js')).registerTermCommand,
  connections: async (): Promise<Register> =>
    (await import('./connections-command.js')).registerConnectionsCommand,
  log: async (): Promise<Register> => (await import('./log-command.js')).registerLogCommand,
  msg: async (): Promise<Register> => (await import('./msg-commands.js')).registerMsgCommands,
  file: async (): Promise<Register> => (await import('./file-commands.js')).registerFileCommands,
  share: async (): Promise<Register> => (await import('./share-commands.js')).registerShareCommands,
  ui: async (): Promise<Register> => (await import('./ui-command.js')).registerUiCommand,
  settings: async (): Promise<Register> => (await import('./mine-commands.js')).registerSettingsCommand,
} as const;

export type CommandModule = keyof typeof COMMAND_MODULES;

/** Top-level command → the module that registers it. */
export const COMMAND_OWNERS: Readonly<Record<string, CommandModule>> = {
  status: 'client',
  peers: 'client',
  stop: 'client',
  ping: 'client',
  id: 'id',
  agent: 'server',
  relay: 'server',
  pair: 'pair',
  pending: 'pair',
  approve: 'pair',
  reject: 'pair',
  forward: 'forward',
  proxy: 'forward',
  term: 'term',
  connections: 'connections',
  log: 'log',
  msg: 'msg',
  file: 'file',
  share: 'share',
  ui: 'ui',
  settings: 'settings',
};

/**
 * The modules to load for this command line: the one owning its command (the first word not starting
 * with `-`); none for a bare `--version` (the program prints it); all of them when there is no command
 * or it is not one (help, a typo), since the help lists every command.
 */
export function modulesFor(args: readonly string[]): CommandModule[] {
  const word = args.find((a) => !a.startsWith('-'));
  const owner = word !== undefined && Object.hasOwn(COMMAND_OWNERS, word) ? COMMAND_OWNERS[word] : undefined;
  if (owner) return [owner];
  const asksVersion = args.some((a) => a === '--version' || a === '-V');
  const asksHelp = args.some((a) => a === '--help' || a === '-h');
  if (word === undefined && asksVersion && !asksHelp) return [];
  return Object.keys(COMMAND_MODULES) as CommandModule[];
}

/** Registers the commands `args` needs on `program`. */
export async function registerCommandsFor(program: Command, args: readonly string[]): Promise<void> {
  for (const name of modulesFor(args)) (await COMMAND_MODULES[name]())(program);
}
