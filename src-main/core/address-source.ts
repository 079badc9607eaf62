/**
 * Where an address in a peer's address book came from (state/address-book.ts): core, because the API
 * contract shows it (peers' `addresses[].from`) and the contract sits below the agent.
 */

/**
 * Where an address came from: `given` by the user (`peers add --address`), announced in the peer's
 * `hello`, found on the `lan` (mDNS), or `seen`: the host the peer's own link came from with the port it
 * listens on (a peer behind a router that forwards its port is reachable there, not where it says), or
 * `mapped`: the external address the peer's router maps for its listener (UPnP, NAT-PMP), as the peer
 * told over the link (links/traversal.ts).
 */
export const ADDRESS_SOURCES = ['given', 'hello', 'lan', 'seen', 'mapped'] as const;
export type AddressSource = (typeof ADDRESS_SOURCES)[number];
