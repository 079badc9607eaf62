/**
 * Times as ISO 8601 text (`2026-11-27T15:38:39.365Z`), as `Date.prototype.toISOString` writes them,
 * without calling it (ADR 0073). V8's toISOString looks up the local time zone on its way, and the
 * first lookup brings ICU's time-zone data into the process for good, where the UTC fields read here
 * need none of it: an idle agent that stamped one audit line held those pages for its life
 * (docs/design/loading-on-demand.md). Whole seconds are remembered (a burst of messages or audit lines
 * shares a few of them).
 */

/** Last ms toISOString writes with a four-digit year (9999-12-31T23:59:59.999Z). */
const ISO_PLAIN_MAX = 253_402_300_799_999;
/** ISO prefixes (`YYYY-MM-DDTHH:MM:SS.`) by whole second. */
const prefixes = new Map<number, string>();
/** Most seconds remembered before the map starts over. */
const PREFIXES_MAX = 256;

const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

function prefixOf(second: number): string {
  const d = new Date(second * 1000);
  const year = d.getUTCFullYear();
  const y = year < 1000 ? `${year}`.padStart(4, '0') : `${year}`;
  return `${y}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.`;
}

/**
 * `new Date(ms).toISOString()` (now, by default; a fraction of a ms is cut off, as Date does). Outside
 * years 1970–9999, toISOString itself, which also throws for a time that is not a date (NaN).
 */
export function isoTime(time: number = Date.now()): string {
  const ms = Math.trunc(time);
  if (!(ms >= 0 && ms <= ISO_PLAIN_MAX)) return new Date(time).toISOString();
  const second = Math.floor(ms / 1000);
  let prefix = prefixes.get(second);
  if (prefix === undefined) {
    if (prefixes.size >= PREFIXES_MAX) prefixes.clear();
    prefix = prefixOf(second);
    prefixes.set(second, prefix);
  }
  const frac = ms - second * 1000;
  return `${prefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
}
