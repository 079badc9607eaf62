import { groupFingerprint } from '../lib/format.js';
import { CopyButton } from './CopyButton.js';

/**
 * A fingerprint grouped in fours (8554 4cd4 …), in a fixed grid so two of them side by side line up
 * group for group, with a copy button; 4 groups a row where 8 do not fit (components.css).
 */
export function Fingerprint({ value, label }: { value: string; label: string }) {
  const groups = groupFingerprint(value);
  return (
    <div className="fingerprint">
      <span className="fingerprint-label">{label}</span>
      {/* The label is outside the row: a long name wraps by itself and never widens the row. */}
      <div className="fingerprint-row">
        <code className="fingerprint-groups" aria-label={`${label}: ${groups.join(' ')}`}>
          {groups.map((g, i) => (
            <span key={i}>{g}</span>
          ))}
        </code>
        <CopyButton text={value} label={`Copy ${label.toLowerCase()}`} />
      </div>
    </div>
  );
}
