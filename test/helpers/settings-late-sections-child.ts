/**
 * Child for settings-sections.test.ts: opens the node state of the home in argv[2] before any domain
 * brought its sections (as the CLI reads config.json before it starts an agent in the same process),
 * then adds the domains' sections, saves through the state opened first, and prints the saved
 * forwards' names as that state reads them.
 */
import { domains } from '../../src-main/app/domains.js';
import { NodeState } from '../../src-main/state/node-state.js';
import { addSettingsSections } from '../../src-main/state/settings-sections.js';

const state = NodeState.open(process.argv[2]!);
addSettingsSections(domains.map((d) => d.contract));
state.setOptions({ name: 'renamed' });
process.stdout.write(JSON.stringify({ forwards: state.get().forwards.map((f) => f.name) }));
