/**
 * `node --import ./test/helpers/zod-schemas-made.mjs …`: counts the zod schema instances the program
 * makes (zod's core `Internals`, one per schema), by the src-main file that made each, and at exit
 * prints on stderr one line `zod-schemas-made: FILE=N,FILE=N` (paths under src-main/), for tests that
 * check which modules build schemas when they load (ADR 0073: made on use instead).
 */
import { register } from 'node:module';

const counts = new Map();
globalThis.__zodSchemaMade = () => {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 100;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const frame = stack.split('\n').find((l) => l.includes('/src-main/') && !l.includes('/node_modules/'));
  const file = /\/src-main\/([^:)]+)/.exec(frame ?? '')?.[1] ?? '(elsewhere)';
  counts.set(file, (counts.get(file) ?? 0) + 1);
};
register(
  `data:text/javascript,${encodeURIComponent(`
export async function load(url, context, next) {
  const loaded = await next(url, context);
  if (!/\\/node_modules\\/zod\\/v4\\/core\\/core\\.js$/.test(url)) return loaded;
  const source = String(loaded.source);
  const patched = source.replace('function Internals(def) {', 'function Internals(def) { globalThis.__zodSchemaMade?.();');
  if (patched === source) throw new Error('zod-schemas-made: zod core has no Internals constructor to count');
  return { ...loaded, source: patched };
}
`)}`,
);
process.on('exit', () =>
  process.stderr.write(`zod-schemas-made: ${[...counts].map(([f, n]) => `${f}=${n}`).join(',')}\n`),
);
