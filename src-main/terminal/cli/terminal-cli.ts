/**
 * What the terminal domain brings to the `clawbridge` command (cli/domain-cli.ts): `term` and
 * `sessions` (shared terminals, docs/adr/0123-shared-terminals.md), each loaded only for its own
 * command line, and `agent --terminal-resume`.
 */
import type { DomainCli, Register } from '../../cli/domain-cli.js';
import { parseDuration } from '../../core/duration.js';
import { ClawError } from '../../core/errors.js';
import { TERMINAL_RESUME_MAX_MS, TERMINAL_RESUME_MIN_MS } from '../terminal-settings.js';

export const terminalCli: DomainCli = {
  modules: {
    term: {
      helpOrder: 60,
      commands: ['term'],
      load: async (): Promise<Register> => (await import('./term-command.js')).registerTermCommand,
    },
    sessions: {
      helpOrder: 61,
      commands: ['sessions'],
      load: async (): Promise<Register> => (await import('./sessions-command.js')).registerSessionsCommand,
    },
  },
  agentFlags: [
    {
      flags: '--terminal-resume <duration>',
      description:
        'how long a terminal session waits for its client after the path is lost, e.g. 60s, 5m (default 60s)',
      settings: (value) => {
        const ms = parseDuration(value, '--terminal-resume');
        if (ms < TERMINAL_RESUME_MIN_MS || ms > TERMINAL_RESUME_MAX_MS)
          throw new ClawError('BAD_ARGUMENT', `--terminal-resume '${value}' must be between 1s and 24h`);
        return { terminalResumeMs: ms };
      },
    },
  ],
};
