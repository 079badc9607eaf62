/**
 * The unit per-source limits count: one IPv4 address, or one IPv6 /64. A single IPv6 host usually holds
 * a whole /64 (SLAAC, privacy addresses) and can pick a fresh address per connection, so a limit per
 * IPv6 address limits nothing; a /64 is the smallest block a site or subscriber is normally given.
 * `::ffff:1.2.3.4` (IPv4 seen through a dual-stack socket) counts as `1.2.3.4`. Pure; no node:net.
 */

/**
 * The block `address` belongs to, as a stable key: `1.2.3.4`, or `2001:db8:0:1::/64` for any address in
 * that /64 (zone IDs dropped, case and zero-compression normalised). Anything that is not an IP address
 * (a missing address, a name) keys as itself, lower-cased, or as `unknown`.
 */
export function addressBlock(address: string | undefined): string {
  if (!address) return 'unknown';
  const lower = address.toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  if (mapped) return mapped[1]!;
  if (!lower.includes(':')) return lower;
  const groups = ipv6Groups(lower.split('%')[0]!);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : lower;
}

/** The eight 16-bit groups of an IPv6 address in hex without leading zeros, or undefined if malformed. */
function ipv6Groups(text: string): string[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === '' ? [] : part.split(':'));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  // A trailing dotted quad (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) stands for the last two groups.
  const last = tail.length > 0 ? tail : head;
  const quad = last.length > 0 && last[last.length - 1]!.includes('.') ? last.pop()! : undefined;
  const quadGroups = quad === undefined ? [] : dottedQuadGroups(quad);
  if (quadGroups === undefined) return undefined;
  const given = head.length + tail.length + quadGroups.length;
  const zeros = halves.length === 2 ? 8 - given : 0;
  if (given + zeros !== 8 || zeros < 0 || (halves.length === 2 && zeros === 0)) return undefined;
  const all = [...head, ...Array<string>(zeros).fill('0'), ...tail, ...quadGroups];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return all.map((g) => parseInt(g, 16).toString(16));
}

function dottedQuadGroups(quad: string): string[] | undefined {
  const bytes = quad.split('.').map(Number);
  if (bytes.length !== 4 || !bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return undefined;
  return [((bytes[0]! << 8) | bytes[1]!).toString(16), ((bytes[2]! << 8) | bytes[3]!).toString(16)];
}
