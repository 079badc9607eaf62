/**
 * A local UDP forward's flows (ADR 0019; udp-forward.ts runs the listener): each opens through the exit
 * peer as the saved record has it then (bound by fingerprint, as a TCP connection is), and counts
 * datagrams and flows on the run.
 */
import type { PeerDirectory } from '../links/ports.js';
import type { ConnectionsOpened } from '../services/opened-connections.js';
import type { SavedForwards } from './saved-forwards.js';
import { formatHostPort, parseHostPort } from '../core/host-port.js';
import { ConnectError } from './dialer.js';
import { DEFAULT_UDP_IDLE_MS } from './forward-bounds.js';
import type { Run } from './forward-run.js';
import type { RunServing, ServedRecord } from './run-serving.js';
import { trackerFor } from './track-peer.js';
import type { UdpForwardContext } from './udp-forward.js';

/** What a UDP run's context reads besides the run. */
export interface UdpRunParts {
  readonly serving: Pick<RunServing, 'frontEndContext' | 'dialerFor'>;
  readonly saved: Pick<SavedForwards, 'forward'>;
  readonly links: Pick<PeerDirectory, 'peerEntries'>;
  readonly connections?: ConnectionsOpened | undefined;
  /** A flow opened or closed: counters moved. */
  moved(): void;
}

/** The context `run`'s UDP listener serves its flows with; `input` is its record when it was bound. */
export function udpRunContext(run: Run, input: ServedRecord, parts: UdpRunParts): UdpForwardContext {
  const ctx = parts.serving.frontEndContext(run, input);
  const remote = parseHostPort(input.remote ?? '');
  const via = input.via ?? '';
  const idleMs = input.udpIdleMs ?? DEFAULT_UDP_IDLE_MS;
  const c = run.counters;
  return {
    ...ctx,
    via,
    target: formatHostPort(remote.host, remote.port),
    idleMs,
    track: trackerFor(parts.connections, parts.links),
    open: () => {
      const record = parts.saved.forward(run.name) ?? input;
      const dial = parts.serving.dialerFor(record);
      if (!dial.connectUdp) {
        return Promise.reject(new ConnectError('general', 'this node cannot forward UDP'));
      }
      return dial.connectUdp(via, remote.host, remote.port, idleMs);
    },
    counters: {
      datagramIn: (n) => {
        c.datagramsIn++;
        c.bytesIn += n;
      },
      datagramOut: (n) => {
        c.datagramsOut++;
        c.bytesOut += n;
      },
      dropped: () => c.dropped++,
      flow: (open) => {
        if (open) c.connections++;
        c.open += open ? 1 : -1;
        parts.moved();
      },
    },
  };
}
