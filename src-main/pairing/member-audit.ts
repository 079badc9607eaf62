/**
 * The audit log's line for a change to the owner's devices (docs/adr/0056-my-devices.md): who was
 * introduced, removed, marked or unmarked, by whom, in words the log shows as they are.
 */

/** What happened to one of the owner's devices. */
export type MemberChange = 'introduced' | 'removed' | 'marked' | 'unmarked';

/**
 * The `member` audit event of `change` to `peer`, made by `by` (named as this node names it);
 * `via` adds whose list it came in (`, passed on by b`).
 */
export function memberAuditEvent(
  change: MemberChange,
  peer: { name: string; fingerprint: string },
  by: { name: string; fingerprint: string },
  via = '',
) {
  const what =
    {
      introduced: `introduced by ${by.name}`,
      removed: `removed from the owner's devices by ${by.name}`,
      marked: "marked as one of the owner's devices",
      unmarked: "no longer marked as one of the owner's devices",
    }[change] + via;
  return {
    kind: 'member' as const,
    change,
    peer: { name: peer.name, fingerprint: peer.fingerprint },
    by,
    what,
    outcome: 'ok' as const,
  };
}
