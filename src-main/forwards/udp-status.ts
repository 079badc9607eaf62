/** What `forward list` shows of a UDP forward besides what every forward shows (forward-run.ts runStatus). */
import type { ForwardInfo } from '../api/contract.js';
import type { ForwardRecord } from '../agent/state/settings.js';
import type { Run } from './forward-run.js';
import { DEFAULT_UDP_IDLE_MS } from '../core/forward-limits.js';

/** Nothing for a TCP forward (its listing stays as it was); protocol, idle time and datagram counters for UDP. */
export function udpStatus(
  run: Pick<Run, 'counters'>,
  record: ForwardRecord,
): Pick<ForwardInfo, 'protocol' | 'udpIdleS' | 'datagramsIn' | 'datagramsOut' | 'dropped'> {
  if (record.protocol !== 'udp') return {};
  const { datagramsIn, datagramsOut, dropped } = run.counters;
  return {
    protocol: 'udp',
    udpIdleS: Math.round((record.udpIdleMs ?? DEFAULT_UDP_IDLE_MS) / 1000),
    datagramsIn,
    datagramsOut,
    dropped,
  };
}
