/**
 * `clawbridge id`: this node's name and fingerprint. A module of its own (command-modules.ts), so it
 * loads the home and the identity and not the agent's modules, whose parsing was most of its time
 * (docs/design/loading-on-demand.md).
 */
import type { Command } from 'commander';
import { resolveHome } from '../home/home-dir.js';
import { printJson, printLine } from './output.js';

export function registerIdCommand(program: Command): void {
  program
    .command('id')
    .description("print this node's name and fingerprint (creates the identity on first run)")
    .option('--home <dir>', 'node home directory')
    .option('--json', 'print JSON')
    .action(async (opts: { home?: string; json?: boolean }) => {
      const home = resolveHome(opts.home);
      // Loaded when the command runs: `clawbridge --help` registers it too.
      const [{ NodeState }, { nodeFingerprint }] = await Promise.all([
        import('../state/node-state.js'),
        import('../home/identity-store.js'),
      ]);
      const fingerprint = await nodeFingerprint(home);
      const name = NodeState.open(home).get().name ?? 'clawbridge';
      if (opts.json) printJson({ name, fingerprint });
      else printLine(`${name}  ${fingerprint}`);
    });
}
