/**
 * What the forwards domain brings to the `clawbridge` command (cli/domain-cli.ts): `forward` and
 * `proxy`, loaded only for their command lines, and the ports this node listens on for its peers'
 * reverse forwards (and shares, which ride on them) as lines of `status`.
 */
import type { DomainCli, Register } from '../../cli/domain-cli.js';
import { peerListenerText } from './peer-listener-text.js';

export const forwardsCli: DomainCli = {
  modules: {
    forward: {
      helpOrder: 50,
      commands: ['forward', 'proxy'],
      load: async (): Promise<Register> => (await import('./forward-commands.js')).registerForwardCommands,
    },
  },
  statusLines: (status) =>
    (status.listeningForPeers ?? []).map((l) => `listening for ${peerListenerText(l)}`),
};
