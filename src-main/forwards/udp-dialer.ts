/**
 * The opening side of `udp-connect`: a stream per UDP flow to the exit peer, returned once the exit has
 * answered ok (the result message and its failures are tcp-connect's, so the reasons read the same).
 */
import type { Duplex } from 'node:stream';
import { openResumable, type ResumableLinks } from './resumable-open.js';
import { STREAM_RESUME_MS } from './stream-resumes.js';
import { tcpConnectDialer, type Dialer } from './dialer.js';
import { UDP_CONNECT_SERVICE, UDP_CONNECT_VERSION, type UdpConnectArgs } from './udp-connect-protocol.js';

/** Opens a udp-connect stream to a peer (an agent's links, or a test's pair). */
export type OpenUdpConnect = (peer: string, args: UdpConnectArgs) => Promise<Duplex>;

/** `dialer` that also opens UDP flows over `open`; failures come as ConnectError, as for TCP. */
export function withUdpFlows(dialer: Dialer, open: OpenUdpConnect): Dialer {
  return {
    ...dialer,
    connectUdp: (peer, host, port, idleMs) =>
      tcpConnectDialer((p, a) => open(p, { v: UDP_CONNECT_VERSION, ...a, idleMs })).connect(peer, host, port),
  };
}

/**
 * An agent's way of opening udp-connect streams to its peers (by name or fingerprint). Each flow's
 * stream is resumable (ADR 0023): when its link dies it moves to the peer's next link, and the exit
 * keeps the flow's socket (its source port, so a WireGuard or DNS peer keeps its mapping).
 */
export function agentUdpConnect(links: ResumableLinks, resumeMs = STREAM_RESUME_MS): OpenUdpConnect {
  return (peer, args) => openResumable(links, peer, UDP_CONNECT_SERVICE, { ...args }, resumeMs);
}
