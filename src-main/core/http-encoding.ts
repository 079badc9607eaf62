/**
 * Content negotiation and revalidation for the files a node serves to browsers (the relay's page,
 * relay/page.ts; the agent's web UI, api/web-ui/static-files.ts): which precompressed form of a file
 * a request takes (`Accept-Encoding`, RFC 9110 §12.5.3), and whether its `If-None-Match` already
 * names what would be sent (a 304). Pure: the servers read the files, this only decides.
 */

/** The codings the build precompresses (scripts/vite-precompress.ts), best first. */
export const CODINGS = ['br', 'gzip'] as const;
export type Coding = (typeof CODINGS)[number];

/** The file name suffix of a coding's precompressed copy beside the file. */
export const CODING_SUFFIX: Readonly<Record<Coding, string>> = { br: '.br', gzip: '.gz' };

/** The q-value an Accept-Encoding header gives `coding` (`*` for any not named), or 0 when not accepted. */
function quality(accept: string, coding: Coding): number {
  let star: number | undefined;
  for (const part of accept.split(',')) {
    const [name = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    const value = q === undefined ? 1 : Number(q.slice(2));
    const weight = Number.isFinite(value) ? value : 0;
    if (name === coding || (coding === 'gzip' && name === 'x-gzip')) return weight;
    if (name === '*') star = weight;
  }
  return star ?? 0;
}

/**
 * The coding to answer with, of those `available` for the file: the accepted one with the highest
 * q-value, br before gzip on a tie; undefined sends the file as it is (no header, or nothing accepted).
 */
export function pickCoding(accept: string | undefined, available: readonly Coding[]): Coding | undefined {
  if (!accept) return undefined;
  let best: Coding | undefined;
  let bestQ = 0;
  for (const coding of CODINGS) {
    if (!available.includes(coding)) continue;
    const q = quality(accept, coding);
    if (q > bestQ) [best, bestQ] = [coding, q];
  }
  return best;
}

/**
 * The entity tag of one representation: the file's own tag with the coding appended (`"abc-br"`), since
 * a compressed body is another representation and a cache must not mix their byte ranges.
 */
export function representationTag(fileTag: string, coding: Coding | undefined): string {
  return coding ? `"${fileTag}-${coding}"` : `"${fileTag}"`;
}

/**
 * Whether `If-None-Match` names `etag` (weak comparison, RFC 9110 §13.1.2: `W/` ignored; `*` matches
 * any): then the client's copy is current and the answer is 304 with no body.
 */
export function noneMatch(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}
