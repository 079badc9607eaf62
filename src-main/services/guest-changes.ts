/**
 * What a refused change of a guest's record says instead (app/peer-api.ts refuseGuest): a guest has no
 * record here, so renaming, limiting or removing it is decided where it was let in. The domain whose
 * guest source let it in (services/admission.ts GuestSource) says where and with which command, so the
 * API's peer methods name no domain (ADR 0118).
 */
import type { Hint } from '../core/hint.js';
import type { Permission } from '../core/permissions.js';

/**
 * What a change of a peer's record comes to for a guest: `access` (taking it away or marking it),
 * `words` (what it may do and open), `name` (the name it is shown under), `path` (how it is reached).
 */
export type GuestChange = 'access' | 'words' | 'name' | 'path';

/**
 * What a `words` change asked for, when it named words (`peers allow PEER forward`): the command then
 * names the list it would come to, not a placeholder.
 */
export interface AskedWords {
  readonly permission: Permission;
  readonly on: boolean;
}

/** Where a guest's change is decided instead: `before`, then the command (`hint`), then `after`. */
export interface GuestDecision {
  readonly before: string;
  readonly hint: Hint;
  readonly after: string;
}
