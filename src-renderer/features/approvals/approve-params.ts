/**
 * The parameters of `pending.approve` for one request: by ID; a request that came without a code also
 * carries the fingerprint the owner compared, which the agent checks against the request (a request
 * that was replaced under the same ID cannot be approved by accident). Pure, so it is unit-tested.
 */
import type { MethodParams, PendingInfo, Permission } from '../../../src-main/api/contract.js';

export function approveParams(
  request: PendingInfo,
  allow: Permission[],
  mine = false,
): MethodParams<'pending.approve'> {
  // `mine`: one of the owner's devices (ADR 0056); sent when ticked, and when unticked on a request
  // whose code was made as mine (the agent marks that one otherwise).
  const asMine = mine ? { mine: true } : request.mine ? { mine: false } : {};
  return request.via === 'fingerprint'
    ? { id: request.id, fingerprint: request.fingerprint, allow, ...asMine }
    : { id: request.id, allow, ...asMine };
}
