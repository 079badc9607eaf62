/** Child for settings-file-modules.test.ts: opens the node state of the home in argv[2], as the agent does, and exits. */
import { NodeState } from '../../src-main/state/node-state.js';

const state = NodeState.open(process.argv[2]!);
process.stdout.write(JSON.stringify({ name: state.get().name ?? null }));
