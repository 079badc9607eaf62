/**
 * A NodeState kept in memory, validated by the same schema the settings file uses and frozen as the
 * settings file freezes what it hands out (a write past the compiler throws), counting writes: for
 * unit tests of the parts that read or write the node's state.
 */
import { deepFreeze } from '../../src-main/core/deep-readonly.js';
import { NodeState, type StateBacking } from '../../src-main/state/node-state.js';
import { settingsSchemas, type Settings } from '../../src-main/state/settings.js';
import type { Vocabulary } from '../../src-main/api/vocabulary.js';
import { agentVocabulary } from './agent-contract.js';

export interface MemoryBacking extends StateBacking {
  writes: number;
}

/** `vocabulary`: the domains' words and sections by default, as an agent's settings have them. */
export function memoryBacking(
  initial: Partial<Settings> = {},
  vocabulary: Vocabulary = agentVocabulary,
): MemoryBacking {
  let current: Settings = deepFreeze(settingsSchemas(vocabulary).settingsSchema.parse(initial));
  return {
    writes: 0,
    vocabulary,
    get: () => current,
    update(change) {
      this.writes++;
      current = deepFreeze(settingsSchemas(vocabulary).settingsSchema.parse(change(current)));
      return current;
    },
  };
}

/** A NodeState over memory; `backing.writes` counts the saves. */
export function memoryState(initial: Partial<Settings> = {}): { state: NodeState; backing: MemoryBacking } {
  const backing = memoryBacking(initial);
  return { state: new NodeState(backing), backing };
}
