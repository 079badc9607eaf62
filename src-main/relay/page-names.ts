/**
 * The names the relay serves its browser page under (ADR 0098), which a browser's request must name
 * in its `Host` (core/host-header.ts, as the web UI checks it): besides loopback, the listen address
 * and the IP literal a connection arrived on, the names in its TLS certificate, the ones the operator
 * gives (`--public-name`) and the hosts of the origins it lists (`--allow-origin`). A DNS-rebinding
 * page sends its own name as Host, and its Origin matches that Host; its name is none of these.
 */
import type { X509Certificate } from 'node:crypto';

/** Longest name taken, in characters: a DNS name is at most 253. */
const MAX_NAME_CHARS = 253;

/** A DNS name (a `*.` first label as certificates write it), or an IPv4 literal. */
const NAME = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/**
 * `name` as a Host header's host reads (core/host-header.ts parseHostHeader): lower case, an IPv6
 * literal compressed and without brackets.
 * @throws Error naming the problem (the caller makes it a CONFIG_INVALID or BAD_ARGUMENT).
 */
export function normalizePublicName(name: string): string {
  const raw = name.trim().toLowerCase();
  if (raw.length > 0 && raw.length <= MAX_NAME_CHARS && NAME.test(raw)) return raw;
  const v6 = /^\[?([0-9a-f:.]+)\]?$/.exec(raw)?.[1];
  if (v6?.includes(':')) {
    try {
      return new URL(`http://[${v6}]/`).hostname.slice(1, -1);
    } catch {
      // Not an IPv6 literal after all: said below.
    }
  }
  throw new Error(
    `public name '${name}' is not a host name or IP address like relay.example (no scheme, port or path)`,
  );
}

/** The DNS names and IP addresses a certificate names in its subjectAltName, normalized. */
export function certificateNames(cert: X509Certificate): string[] {
  const names: string[] = [];
  for (const entry of (cert.subjectAltName ?? '').split(', ')) {
    const m = /^(?:DNS|IP Address):(.+)$/.exec(entry);
    if (!m) continue;
    try {
      names.push(normalizePublicName(m[1]!));
    } catch {
      // A name no Host header can carry (an internationalized one written unencoded): nothing to match.
    }
  }
  return names;
}

/** The host of each listed origin (`https://relay.example` → `relay.example`), normalized. */
export function originNames(origins: Iterable<string>): string[] {
  return [...origins].map((origin) => normalizePublicName(new URL(origin).hostname));
}
