/** What `forward list` shows of a UDP forward besides what every forward shows (forward-run.ts runStatus). */
import type { ForwardInfo } from './forwards-contract.js';
import type { ForwardRecord } from './saved-forward-schema.js';
import type { Run } from './forward-run.js';
import { DEFAULT_UDP_IDLE_MS } from './forward-bounds.js';

/**
 * Nothing for a TCP forward (its listing stays as it was); protocol, idle time and datagram counters for
 * UDP. Reading them first adds what the kernel dropped at a listening forward's socket since the last
 * read to `dropped` (and `kernelDropped`), so `dropped` counts every datagram this side did not carry.
 */
export function udpStatus(
  run: Pick<Run, 'counters'> & Partial<Pick<Run, 'now'>>,
  record: ForwardRecord,
): Pick<ForwardInfo, 'protocol' | 'udpIdleS' | 'datagramsIn' | 'datagramsOut' | 'dropped' | 'kernelDropped'> {
  if (record.protocol !== 'udp') return {};
  const c = run.counters;
  const kernel = run.now?.state === 'listening' ? (run.now.listener.takeKernelDrops?.() ?? 0) : 0;
  c.dropped += kernel;
  c.kernelDropped += kernel;
  return {
    protocol: 'udp',
    udpIdleS: Math.round((record.udpIdleMs ?? DEFAULT_UDP_IDLE_MS) / 1000),
    datagramsIn: c.datagramsIn,
    datagramsOut: c.datagramsOut,
    dropped: c.dropped,
    kernelDropped: c.kernelDropped,
  };
}
