/**
 * What the terminal domain brings to the `clawbridge` command (cli/domain-cli.ts): `term`, loaded only
 * for a `term` command line.
 */
import type { DomainCli, Register } from '../../cli/domain-cli.js';

export const terminalCli: DomainCli = {
  modules: {
    term: {
      helpOrder: 60,
      commands: ['term'],
      load: async (): Promise<Register> => (await import('./term-command.js')).registerTermCommand,
    },
  },
};
