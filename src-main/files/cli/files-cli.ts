/**
 * What the files domain brings to the `clawbridge` command (cli/domain-cli.ts): `file` and its
 * subcommands, loaded only for a `file` command line.
 */
import type { DomainCli, Register } from '../../cli/domain-cli.js';

export const filesCli: DomainCli = {
  modules: {
    file: {
      helpOrder: 100,
      commands: ['file'],
      load: async (): Promise<Register> => (await import('./file-commands.js')).registerFileCommands,
    },
  },
};
