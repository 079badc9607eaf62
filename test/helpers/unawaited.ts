/**
 * A test's promise that is not awaited on purpose (a served connection, a close on the way out): its
 * rejection still fails the run, as an unhandled one did, but by intent and with what it was. The
 * error is thrown on the next tick, where node:test reports it against the test that was running.
 */
export function failTest(what: string): (err: unknown) => void {
  return (err) => {
    process.nextTick(() => {
      throw new Error(`${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    });
  };
}
