/**
 * The agent's composition root (docs/architecture.md §Layers): builds the trust store, the agent, and
 * the approvals and pairing parts, handing each the agent only as the narrow ports it declares
 * (ports.ts). run-agent.ts adds forwarding, terminals and the API on top; tests that need a bare agent
 * build it here too, so every agent is wired the same way.
 */
import type { Logger } from 'pino';
import type { Identity } from '../crypto/identity.js';
import { Agent } from './agent.js';
import { Approvals } from './approvals.js';
import { Pairing } from './pairing.js';
import type { SettingsStore } from './settings.js';
import { TrustStore } from './trust-store.js';

export interface ComposeAgentOptions {
  identity: Identity;
  settings: SettingsStore;
  logger: Logger;
}

export function composeAgent({ identity, settings, logger }: ComposeAgentOptions): Agent {
  const trust = new TrustStore(settings);
  return new Agent({
    identity,
    settings,
    logger,
    trust,
    parts: (agent) => {
      const approvals = new Approvals({ node: agent, log: logger, trust, peers: agent, notifier: agent });
      const pairing = new Pairing({
        node: agent,
        log: logger,
        notifier: agent,
        relays: agent,
        lan: agent,
        approvals,
        trust,
        peers: agent,
      });
      return { approvals, pairing };
    },
  });
}
