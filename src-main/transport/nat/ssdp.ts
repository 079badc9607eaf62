/**
 * A strict SSDP search for Internet Gateway Devices: one M-SEARCH per IGD version from an ephemeral UDP
 * port, and of the answers only what can be a router on this LAN is kept: an answer within a size cap,
 * with a LOCATION that is an http: URL on the very address that answered, that address on the LAN (never
 * loopback, link-local or public), the first such answer per responder, and a bounded number of
 * responders. Everything else is dropped and counted, so no LAN host can make this node fetch a URL
 * elsewhere, or many.
 */
import { createSocket } from 'node:dgram';
import { isLanAddress } from './lan-address.js';

export const SSDP_MULTICAST_ADDRESS = '239.255.255.250';
export const SSDP_PORT = 1900;
/** The largest SSDP answer read, in bytes: a real one is a few hundred. */
export const SSDP_ANSWER_LIMIT_BYTES = 2048;
/** How many distinct responders are followed per search (a LAN has one router; a few spare). */
export const SSDP_MAX_RESPONDERS = 4;
/** When the M-SEARCH is sent again (UDP may lose the first), in ms after the first. */
const SSDP_RESEND_MS = 1_000;
/** Seconds a device may wait before answering (MX): short, discovery is bounded by its caller. */
const SSDP_MX_SECONDS = 1;

export const IGD_SEARCH_TARGETS = [
  'urn:schemas-upnp-org:device:InternetGatewayDevice:2',
  'urn:schemas-upnp-org:device:InternetGatewayDevice:1',
] as const;

export interface SsdpAnswer {
  location: string;
  st: string;
  usn: string;
}

export function mSearch(target: string): Buffer {
  return Buffer.from(
    [
      'M-SEARCH * HTTP/1.1',
      `HOST: ${SSDP_MULTICAST_ADDRESS}:${SSDP_PORT}`,
      'MAN: "ssdp:discover"',
      `MX: ${SSDP_MX_SECONDS}`,
      `ST: ${target}`,
      '',
      '',
    ].join('\r\n'),
  );
}

/** The answer in `bytes` (an `HTTP/1.1 200` with LOCATION), or why it is none. Pure; never throws. */
export function parseSsdpAnswer(bytes: Uint8Array): SsdpAnswer | { drop: string } {
  if (bytes.length > SSDP_ANSWER_LIMIT_BYTES) return { drop: `${bytes.length} bytes, over the cap` };
  const lines = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .toString('latin1')
    .split(/\r?\n/);
  if (!/^HTTP\/1\.[01] 200(?: |$)/.test(lines[0] ?? '')) return { drop: 'not an HTTP 200 answer' };
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  const location = headers.get('location');
  if (!location) return { drop: 'no LOCATION' };
  return { location, st: headers.get('st') ?? '', usn: headers.get('usn') ?? '' };
}

/**
 * The description URL an answer from `responder` may be fetched at, or why not: http:, on the host that
 * answered (by address, so no name is looked up), that host on the LAN. Pure.
 */
export function descriptionUrl(
  location: string,
  responder: string,
  allowHost: (host: string) => boolean = isLanAddress,
): URL | { drop: string } {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return { drop: 'LOCATION is not a URL' };
  }
  if (url.protocol !== 'http:') return { drop: `LOCATION is ${url.protocol}, not http:` };
  if (url.username || url.password) return { drop: 'LOCATION carries credentials' };
  if (url.hostname !== responder)
    return { drop: `LOCATION on ${url.hostname}, not the responder ${responder}` };
  if (!allowHost(url.hostname)) return { drop: `${url.hostname} is not an address on the LAN` };
  return url;
}

export interface SsdpSearchOptions {
  /** Where the search goes; tests aim at a fake on loopback. */
  target?: { address: string; port: number };
  /** Which responders' hosts may be fetched from (the LAN's by default; tests allow loopback). */
  allowHost?: (host: string) => boolean;
  onDrop?: (why: string) => void;
}

/**
 * Searches until `signal` ends it and calls `onGateway` once per accepted responder, at most
 * SSDP_MAX_RESPONDERS times. Resolves when the signal ends; the socket is closed then.
 */
export function searchGateways(
  signal: AbortSignal,
  onGateway: (description: URL, responder: string) => void,
  options: SsdpSearchOptions = {},
): Promise<void> {
  const to = options.target ?? { address: SSDP_MULTICAST_ADDRESS, port: SSDP_PORT };
  const drop = (why: string) => options.onDrop?.(why);
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const socket = createSocket('udp4');
    const responders = new Set<string>();
    let closed = false;
    const send = () => {
      // A send on a closed socket throws at once: the search may have ended while binding.
      if (closed) return;
      for (const target of IGD_SEARCH_TARGETS)
        socket.send(mSearch(target), to.port, to.address, () => undefined);
    };
    let resend: NodeJS.Timeout | undefined;
    const end = () => {
      if (closed) return;
      closed = true;
      clearTimeout(resend);
      signal.removeEventListener('abort', end);
      try {
        socket.close();
      } catch {
        /* already closed */
      }
      resolve();
    };
    signal.addEventListener('abort', end, { once: true });
    // A send that fails (no route, no multicast) leaves nothing to find: discovery just finds nothing.
    socket.on('error', () => end());
    socket.on('message', (msg, from) => {
      if (responders.has(from.address)) return drop(`another answer from ${from.address}`);
      if (responders.size >= SSDP_MAX_RESPONDERS)
        return drop(`a responder past the first ${SSDP_MAX_RESPONDERS}`);
      const answer = parseSsdpAnswer(msg);
      if ('drop' in answer) return drop(answer.drop);
      const url = descriptionUrl(answer.location, from.address, options.allowHost);
      if ('drop' in url) return drop(url.drop);
      responders.add(from.address);
      onGateway(url, from.address);
    });
    socket.bind(0, () => {
      if (closed) return;
      send();
      resend = setTimeout(send, SSDP_RESEND_MS);
    });
  });
}
