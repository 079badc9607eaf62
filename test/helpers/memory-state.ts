/**
 * A NodeState kept in memory, validated by the same schema the settings file uses, counting writes:
 * for unit tests of the parts that read or write the node's state.
 */
import { NodeState, type StateBacking } from '../../src-main/state/node-state.js';
import { settingsSchemas, type Settings } from '../../src-main/state/settings.js';

export interface MemoryBacking extends StateBacking {
  writes: number;
}

export function memoryBacking(initial: Partial<Settings> = {}): MemoryBacking {
  let current = settingsSchemas().settingsSchema.parse(initial);
  return {
    writes: 0,
    get: () => current,
    update(change) {
      this.writes++;
      current = settingsSchemas().settingsSchema.parse(change(structuredClone(current)));
      return current;
    },
  };
}

/** A NodeState over memory; `backing.writes` counts the saves. */
export function memoryState(initial: Partial<Settings> = {}): { state: NodeState; backing: MemoryBacking } {
  const backing = memoryBacking(initial);
  return { state: new NodeState(backing), backing };
}
