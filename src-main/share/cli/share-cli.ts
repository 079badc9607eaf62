/**
 * What the share domain brings to the `clawbridge` command (cli/domain-cli.ts): `share` and its
 * subcommands, loaded only for a `share` command line.
 */
import type { DomainCli, Register } from '../../cli/domain-cli.js';

export const shareCli: DomainCli = {
  modules: {
    share: {
      helpOrder: 110,
      commands: ['share'],
      load: async (): Promise<Register> => (await import('./share-commands.js')).registerShareCommands,
    },
  },
};
