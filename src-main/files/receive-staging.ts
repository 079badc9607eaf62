/**
 * A transfer's staging folder on disk, as the receiver keeps it while bytes arrive: `offer.json` (the
 * offer it is for), `d/INDEX` (each file's bytes so far, a prefix of it), `verified` (a line per file
 * whose SHA-256 matched) and `boot` (the boot those marks were written in). Here: its layout, starting
 * it, and reading back what it holds when a transfer resumes.
 */
import { appendFile, mkdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OfferEntry } from '../protocol/file-frames.js';
import type { FileStore } from './file-store.js';
import { hashFile, limiter } from './tree-walk.js';

/** Staged files looked at (sized, and hashed when whole and not marked verified) at once on a resume. */
const STAGED_READ_CONCURRENCY = 16;

/** Where staging `dir` keeps the bytes of file `i`. */
export function stagedFile(dir: string, i: number): string {
  return join(dir, 'd', String(i));
}

/** Staging's `verified` line of file `i`: its index, and its SHA-256 when the offer had none. */
export function verifiedMark(i: number, digest: string | undefined): string {
  return digest ? `${i} ${digest}\n` : `${i}\n`;
}

/** Starts staging `dir` anew for the offer `entries` (whatever it held goes), marked with this boot. */
export async function startStaging(
  dir: string,
  entries: readonly OfferEntry[],
  store: Pick<FileStore, 'bootId'>,
): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'd'), { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'offer.json'), JSON.stringify({ entries }), { mode: 0o600 });
  await writeFile(join(dir, 'boot'), await store.bootId(), { mode: 0o600 });
}

/** Records files verified in staging `dir` (lines of verifiedMark). */
export async function appendVerified(dir: string, marks: string): Promise<void> {
  await appendFile(join(dir, 'verified'), marks);
}

/**
 * What staging `dir` holds of the offer `entries`: bytes per entry and the files verified (hashing any
 * whole but unmarked); `fresh` when it holds nothing of this offer. The SHA-256 of a file offered
 * without one, as its mark recorded it, goes into `digests`.
 */
export async function readStaged(
  dir: string,
  entries: readonly OfferEntry[],
  store: Pick<FileStore, 'bootId'>,
  digests: Map<number, string>,
): Promise<{ held: number[]; verified: Set<number>; fresh: boolean }> {
  const held = entries.map(() => 0);
  const verified = new Set<number>();
  let saved: { entries?: unknown } | undefined;
  try {
    saved = JSON.parse(await readFile(join(dir, 'offer.json'), 'utf8')) as { entries?: unknown };
  } catch {
    return { held, verified, fresh: true };
  }
  if (JSON.stringify(saved.entries) !== JSON.stringify(entries)) return { held, verified, fresh: true };
  // Marks are trusted only within the boot that wrote them (bootIdentity): after a crash of the OS a
  // mark may have reached the disk without the bytes it stood for, so whole files are hashed again.
  const boot = await store.bootId();
  const sameBoot = (await readFile(join(dir, 'boot'), 'utf8').catch(() => '')) === boot;
  // Each line: an index, and for a file offered without its SHA-256 the one its DIGEST said.
  const marks = new Map<number, string | undefined>();
  for (const line of (await readFile(join(dir, 'verified'), 'utf8').catch(() => '')).split('\n')) {
    const [i, digest] = line.split(' ');
    if (i) marks.set(Number(i), digest);
  }
  const marked = new Set(sameBoot ? marks.keys() : []);
  const limit = limiter(STAGED_READ_CONCURRENCY);
  await Promise.all(
    entries.map((e, i) =>
      e.kind !== 'file'
        ? Promise.resolve()
        : limit(async () => {
            const size = (await stat(stagedFile(dir, i)).catch(() => undefined))?.size ?? 0;
            if (size > e.size) {
              await truncate(stagedFile(dir, i), 0);
              return;
            }
            held[i] = size;
            if (size === e.size && e.size > 0) {
              const want = e.sha256 ?? marks.get(i);
              if (want === undefined) {
                // Every byte arrived but not its DIGEST: its last byte is wanted again, and the
                // DIGEST with it.
                await truncate(stagedFile(dir, i), size - 1);
                held[i] = size - 1;
                return;
              }
              if (marked.has(i) || (await hashFile(stagedFile(dir, i), 0, size)) === want) {
                verified.add(i);
                if (e.sha256 === undefined) digests.set(i, want);
              } else {
                await truncate(stagedFile(dir, i), 0);
                held[i] = 0;
              }
            }
          }),
    ),
  );
  if (!sameBoot) {
    // What was checked in this boot is marked anew under it.
    await writeFile(
      join(dir, 'verified'),
      [...verified].map((i) => verifiedMark(i, digests.get(i))).join(''),
      {
        mode: 0o600,
      },
    );
    await writeFile(join(dir, 'boot'), boot, { mode: 0o600 });
  }
  return { held, verified, fresh: false };
}
