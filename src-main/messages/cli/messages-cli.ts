/**
 * What the messages domain brings to the `clawbridge` command (cli/domain-cli.ts): `msg` and its
 * subcommands, loaded only for a `msg` command line.
 */
import type { DomainCli, Register } from '../../cli/domain-cli.js';

export const messagesCli: DomainCli = {
  modules: {
    msg: {
      helpOrder: 90,
      commands: ['msg'],
      load: async (): Promise<Register> => (await import('./msg-commands.js')).registerMsgCommands,
    },
  },
};
