/**
 * `clawbridge settings`: the node's settings as the running agent has them, and `settings mine-allow`,
 * what a device introduced by another of the owner's devices may do here (ADR 0056). The
 * `peers mine` and `peers revoke` subcommands are in mine-peers.ts.
 */
import type { Command } from 'commander';
import { call, withGroupOpts, type HomeOpts } from './client-commands.js';
import { printJson, printLine } from './output.js';
import { describeAllow, parseAllow } from './permissions.js';

/** `clawbridge settings`: the node's settings; `settings mine-allow LIST` sets what introduced devices may do. */
export function registerSettingsCommand(program: Command): void {
  const settings = program
    .command('settings')
    .description("show this node's settings (needs a running agent)")
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (opts: HomeOpts) => {
      const s = await call(opts, 'settings.get', {});
      if (opts.json) return printJson(s);
      printLine(`name:                ${s.name}`);
      printLine(`listen:              ${s.listen ?? 'off'}`);
      printLine(`relays:              ${s.relays.map((r) => r.url).join(', ') || 'none'}`);
      printLine(`act as relay:        ${s.actAsRelay ? `yes, on ${s.relayListen}` : 'no'}`);
      printLine(`notifications:       ${s.notifications ? 'on' : 'off'}`);
      printLine(
        `my devices may do:   ${describeAllow(s.mineAllow)} (a device introduced by another of yours)`,
      );
    });

  settings
    .command('mine-allow <list>')
    .description(
      'what a device introduced by another of your devices may do here: terminal,forward,relay,listen,message,files or none',
    )
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (list: string, opts: HomeOpts, cmd: Command) => {
      const all = withGroupOpts(opts, cmd);
      const s = await call(all, 'settings.set', { mineAllow: parseAllow(list) });
      if (all.json) return printJson(s);
      printLine(`a device introduced by another of yours may do here: ${describeAllow(s.mineAllow)}`);
    });
}
