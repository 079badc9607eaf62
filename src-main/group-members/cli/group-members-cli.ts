/**
 * What the groups bring to the `clawbridge` command (cli/domain-cli.ts): `group` and its subcommands
 * (the groups domain's methods and this domain's), loaded only for a `group` command line.
 */
import type { DomainCli, Register } from '../../cli/domain-cli.js';

export const groupMembersCli: DomainCli = {
  modules: {
    group: {
      helpOrder: 115,
      commands: ['group'],
      load: async (): Promise<Register> => (await import('./group-commands.js')).registerGroupCommands,
    },
  },
};
