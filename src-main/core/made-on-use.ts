/**
 * Values that cost memory to hold and little to make again, made when used and held only weakly (ADR
 * 0073). zod builds each schema as objects, closures and hidden classes the moment its module loads: an
 * idle agent held about 1,500 of them (docs/design/loading-on-demand.md) for messages it was not
 * receiving, a settings file it was not writing and terminals nobody had opened. Made on use, a schema
 * lives while something uses it and goes with the next full collection after (the idle trim runs one);
 * the next use makes it again, which costs microseconds to a few milliseconds (the whole settings
 * file).
 */

/** `make`'s value, made on the first call and again whenever the collector took the last one. */
export function madeOnUse<T extends object>(make: () => T): () => T {
  let held: WeakRef<T> | undefined;
  return () => {
    let value = held?.deref();
    if (value === undefined) {
      value = make();
      held = new WeakRef(value);
    }
    return value;
  };
}
