import { usePermissionWords } from '../features/registry.js';

/**
 * The permission checkboxes; `value` is the checked set. One box for each word the registered features
 * explain (features/permission-words.ts), in their order: this component names none.
 */
export function PermissionBoxes<P extends string>({
  value,
  onChange,
  legend = 'May do here',
}: {
  value: readonly P[];
  onChange: (next: P[]) => void;
  legend?: string;
}) {
  const words = usePermissionWords();
  return (
    <fieldset className="permissions">
      <legend>{legend}</legend>
      {words.map(({ word, label }) => (
        <label key={word} className="check">
          <input
            type="checkbox"
            checked={value.includes(word as P)}
            onChange={(e) =>
              // A box's word is one of the agent's (permission-words.ts), so it is one of P.
              onChange(e.target.checked ? [...value, word as P] : value.filter((v) => v !== word))
            }
          />
          {label}
        </label>
      ))}
    </fieldset>
  );
}
