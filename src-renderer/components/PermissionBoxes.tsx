import type { Permission } from '../../src-main/api/contract.js';

/** What each permission lets a peer do on this device, in the words the checkbox shows. */
export const PERMISSION_TEXT: Record<Permission, string> = {
  terminal: 'Open terminals here',
  forward: 'Forward connections through here',
  relay: 'Use this device as a relay',
  listen: 'Listen on ports here (reverse forwards)',
  message: 'Send messages to programs here',
  files: 'Send files here (into the file inbox)',
};

const ALL: Permission[] = ['terminal', 'forward', 'relay', 'listen', 'message', 'files'];

/**
 * What a new peer may do here unless the boxes are changed: the agent's default (core/permissions.ts
 * DEFAULT_ALLOW), offered alike by Approve and by Join with code.
 */
export const DEFAULT_ALLOW: readonly Permission[] = ['terminal', 'forward', 'message'];

/** The permission checkboxes; `value` is the checked set. */
export function PermissionBoxes({
  value,
  onChange,
  legend = 'May do here',
}: {
  value: Permission[];
  onChange: (next: Permission[]) => void;
  legend?: string;
}) {
  return (
    <fieldset className="permissions">
      <legend>{legend}</legend>
      {ALL.map((p) => (
        <label key={p} className="check">
          <input
            type="checkbox"
            checked={value.includes(p)}
            onChange={(e) => onChange(e.target.checked ? [...value, p] : value.filter((v) => v !== p))}
          />
          {PERMISSION_TEXT[p]}
        </label>
      ))}
    </fieldset>
  );
}
