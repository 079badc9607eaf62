/**
 * The parameters of `pending.approve` for one request: by ID; a request that came without a code also
 * carries the fingerprint the owner compared, which the agent checks against the request (a request
 * that was replaced under the same ID cannot be approved by accident). Pure, so it is unit-tested.
 */
import type { MethodParams, PendingInfo, Permission } from '../../../src-main/api/contract.js';

export function approveParams(request: PendingInfo, allow: Permission[]): MethodParams<'pending.approve'> {
  return request.via === 'fingerprint'
    ? { id: request.id, fingerprint: request.fingerprint, allow }
    : { id: request.id, allow };
}
