/**
 * Read-only all the way down. `Readonly<T>` stops at the first level: a reader handed a peer's record
 * as `Readonly<PeerRecord>` may not assign its `name`, yet may still `allow.push('relay')`, and so
 * change what the node keeps with no named write and no change event. `DeepReadonly<T>` makes every
 * nested object and array read-only too, for values that are data (what the node keeps, what it saw):
 * the owner builds a new value and swaps it in, everyone else reads.
 */

/** `T` with every property, array and nested object read-only; functions are left as they are. */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer E)[]
    ? readonly DeepReadonly<E>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/**
 * Freezes `value` and every plain object and array inside it, so a write that got past the compiler
 * (a cast, an `any`) throws instead of changing a value other readers share. For data built from JSON
 * (objects, arrays, strings, numbers, booleans, null): anything else inside (a Map, a Buffer) is
 * left unfrozen. One walk of the value: done where the value is made (a write), not where it is read.
 */
export function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (value !== null && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (Array.isArray(value) || proto === Object.prototype || proto === null) {
      Object.freeze(value);
      for (const inner of Object.values(value)) deepFreeze(inner);
    }
  }
  return value as DeepReadonly<T>;
}

/**
 * `T` with its own fields writable again, one level: a local copy being built (a draft of options,
 * a list of relays being edited) before it is handed to the owner's named write.
 */
export type Writable<T> = { -readonly [K in keyof T]: T[K] };
