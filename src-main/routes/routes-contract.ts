/**
 * The routes domain's part of the API contract (docs/adr/0085-domains-as-plug-ins.md): no method,
 * event or word of its own, only the kind its hops list under in `connections.list`. A route is saved on its peer with the node's `peers.route`, and a peer may be a hop here with
 * the node's own permission word `relay` (core/permissions.ts), which the own relay server reads too.
 */
import type { ContractPiece } from '../api/contract-piece.js';

/** What the routes domain brings to the contract at run time. */
export const routesContract = {} satisfies ContractPiece;

declare module '../api/contract-types.js' {
  interface ConnectionKinds {
    /** A pipe carried for a route (this node a hop on it). */
    'chain-hop': true;
  }
}
