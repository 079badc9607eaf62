/**
 * The forwards domain's saved forwards over a node state, as the composition root hands them to that
 * domain (forwards/saved-forwards.ts on the state's `forwards` slice, ADR 0091): for tests that build
 * a ForwardManager over a composed agent, or save forwards before one starts.
 */
import type { Agent } from '../../src-main/app/compose-agent.js';
import type { ForwardManagerDeps } from '../../src-main/forwards/forward-manager.js';
import { savedForwards, type SavedForwards } from '../../src-main/forwards/saved-forwards.js';
import type { NodeState } from '../../src-main/state/node-state.js';

/**
 * The saved forwards of `state` (opened with the domains' vocabulary: agent-contract.ts
 * agentVocabulary); a peer renamed there carries its forwards along from now on.
 */
export function savedForwardsOf(state: NodeState): SavedForwards {
  return savedForwards(state.section('forwards'), () => state.peers());
}

/** What a ForwardManager takes of a composed agent, as the forwards domain gives it. */
export function forwardDeps(agent: Agent): ForwardManagerDeps {
  return {
    log: agent.log,
    notices: agent.notices,
    links: agent.links,
    connections: agent.connections,
    saved: savedForwardsOf(agent.state),
  };
}
