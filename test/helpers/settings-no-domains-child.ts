/**
 * Child for settings-sections.test.ts: a process whose settings schema has no domain's section (no
 * agent, no contract built), as the CLI's own reads of config.json are. Opens the node state of the
 * home in argv[2], renames the node (a save), and prints what it did not know.
 */
import { NodeState } from '../../src-main/state/node-state.js';

const state = NodeState.open(process.argv[2]!);
state.setOptions({ name: 'renamed' });
process.stdout.write(JSON.stringify({ unknown: state.unknownKeys }));
