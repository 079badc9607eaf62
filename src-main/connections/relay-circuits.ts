/**
 * The circuits this node's own relay (--act-as-relay) carries between its peers, as live connections:
 * `relay-circuit`, from the node that opened it to its target, cut with `connections close ID`. The
 * circuits that are this node's own links (it is one end) are not listed: they are no connection it
 * carries for others, and cutting one would cut the link itself. A circuit the two ends moved onto a
 * splice (a TCP pipe through the relay) is listed as the splice, `to` saying `(spliced)`; which end
 * sent which bytes is not known there (circuit-observer.ts).
 */
import type { CircuitObserver } from '../relay/circuit-observer.js';
import type { ConnectionOpener } from './connection-table.js';

/**
 * @param self this node's ID on its relay (its fingerprint)
 * @param nameOf this node's name for a peer, when it is one
 */
export function relayCircuitLister(
  table: ConnectionOpener,
  self: string,
  nameOf: (fingerprint: string) => string | undefined,
): CircuitObserver {
  // A node that is no peer here (a pairing joiner) shows as the start of its ID.
  const label = (id: string) => nameOf(id) ?? `${id.slice(0, 8)}…`;
  return {
    opened: (opener, target, close) => {
      if (opener === self || target === self) return undefined;
      return table.open({
        kind: 'relay-circuit',
        peer: { name: label(opener), fingerprint: opener },
        from: label(opener),
        to: label(target),
        close,
      });
    },
    // A splice is the same link's circuit carried as a TCP pipe: listed the same way.
    spliced: (first, second, close) => {
      if (first === self || second === self) return undefined;
      return table.open({
        kind: 'relay-circuit',
        peer: { name: label(first), fingerprint: first },
        from: label(first),
        to: `${label(second)} (spliced)`,
        close: () => close(),
      });
    },
  };
}
