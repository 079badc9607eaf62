/**
 * One choice among a few, as radio buttons under a legend (Add forward's Type, Direction, Protocol):
 * a radio group named by its legend, so a screen reader and the browser tests find it by that name.
 */
export interface ChoiceGroupProps<T extends string> {
  /** The legend, and the group's accessible name. */
  label: string;
  /** The radios' shared `name` (unique in the page: callers derive it from useId). */
  name: string;
  options: readonly (readonly [T, string])[];
  value: T;
  onChange: (value: T) => void;
}

export function ChoiceGroup<T extends string>({
  label,
  name,
  options,
  value,
  onChange,
}: ChoiceGroupProps<T>) {
  const legend = `${name}-legend`;
  return (
    <fieldset className="kind" role="radiogroup" aria-labelledby={legend}>
      <legend id={legend}>{label}</legend>
      {options.map(([option, text]) => (
        <label key={option} className="check">
          <input type="radio" name={name} checked={value === option} onChange={() => onChange(option)} />
          {text}
        </label>
      ))}
    </fieldset>
  );
}
