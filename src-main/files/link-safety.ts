/**
 * What keeps the links `file get` writes inside the folder it writes them to, against what that folder
 * holds already: links of earlier transfers (another peer's, or the same peer's sent in parts) and the
 * owner's own. Each link is checked alone when it arrives (file-names.ts), but links of two transfers
 * may combine: one holds `x/up → ..`, another `docs/n → ../x/up/x/up/../../../etc/passwd`, which read
 * lexically stays inside and, once both sit in one folder, climbs out of it through `x/up`.
 *
 * The rule, and why it is enough. Every link `file get` places gets a canonical target: its `..` all at
 * the front (never more than the link's depth below the folder), then plain names (`canonicalTarget`,
 * the lexical reading of the target within the transfer, which is what the sender meant: a link
 * through a link of the same transfer was refused when it arrived). Such a link climbs only through
 * the real folders above it — which `file get` made, and into which it never writes through a link —
 * and then only descends. Descending through a folder stays inside; descending through another
 * canonical link lands where that one does, inside by the same argument whatever was placed before
 * or after it. Only a link not placed this way (the owner's, or one from before this rule) can lead
 * out, so each placed link is resolved against the disk as it is (`staysInside`, a walk that follows
 * every link it meets) and removed, and named, when it leads out; a later link placed at a name that
 * an earlier one descends through is canonical itself, so the earlier one still cannot leave.
 *
 * Paths are Buffers: names are kept byte for byte (a name need not be UTF-8 on Linux).
 */
import { lstat, readlink } from 'node:fs/promises';

const SLASH = 0x2f;
/** Links followed while resolving one path before it counts as a loop (Linux's own limit). */
const MAX_LINK_HOPS = 40;

/** `bytes` split at `/`, empty and `.` components dropped. */
export function components(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== SLASH) continue;
    const c = bytes.subarray(start, i);
    if (c.length > 0 && !(c.length === 1 && c[0] === 0x2e)) out.push(c);
    start = i + 1;
  }
  return out;
}

const isDotDot = (c: Buffer) => c.length === 2 && c[0] === 0x2e && c[1] === 0x2e;

/** Components joined with `/`. */
export function joinBytes(parts: readonly Buffer[]): Buffer {
  const out: Buffer[] = [];
  for (const [i, p] of parts.entries()) {
    if (i > 0) out.push(Buffer.from('/'));
    out.push(p);
  }
  return Buffer.concat(out);
}

/**
 * The target of a link at `depth` folders below the transfer's root (0: a top-level link) read
 * lexically: `..` all at the front, then names; undefined when it climbs above the root or is absolute.
 */
export function canonicalTarget(depth: number, target: Buffer): Buffer | undefined {
  if (target[0] === SLASH) return undefined;
  let up = 0;
  const down: Buffer[] = [];
  for (const c of components(target)) {
    if (!isDotDot(c)) down.push(c);
    else if (down.length > 0) down.pop();
    else if (++up > depth) return undefined;
  }
  const parts = [...Array.from({ length: up }, () => Buffer.from('..')), ...down];
  return parts.length === 0 ? Buffer.from('.') : joinBytes(parts);
}

/**
 * Whether the link at `root/at/name` (`at`: the folders below `root`, each a real folder) resolves to a
 * place inside `root` (a real path, no links in it) — following, as the kernel would, every link it
 * meets on the way, and stopping where nothing exists (a dangling link goes nowhere). A loop counts as
 * inside (it resolves to nothing). An absolute target counts as outside unless it names `root` or
 * something under it.
 */
export async function staysInside(root: Buffer, at: readonly Buffer[], name: Buffer): Promise<boolean> {
  const here: Buffer[] = [...at];
  const todo: Buffer[] = [name];
  let hops = 0;
  const rootParts = components(root);
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (isDotDot(c)) {
      if (here.length === 0) return false;
      here.pop();
      continue;
    }
    const path = joinBytes([root, ...here, c]);
    const st = await lstat(path).catch(() => undefined);
    if (!st) return true;
    if (st.isSymbolicLink()) {
      if (++hops > MAX_LINK_HOPS) return true;
      const target = await readlink(path, { encoding: 'buffer' });
      // Windows reads `\` and a drive letter in a target too: such a target is not followed here.
      if (process.platform === 'win32' && (target.includes(0x5c) || target.includes(0x3a))) return false;
      let parts = components(target);
      if (target[0] === SLASH) {
        const under = rootParts.every((p, i) => parts[i]?.equals(p));
        if (!under) return false;
        parts = parts.slice(rootParts.length);
        here.length = 0;
      }
      todo.unshift(...parts);
      continue;
    }
    if (!st.isDirectory()) return true; // a file: what follows it (if anything) resolves nowhere
    here.push(c);
  }
  return true;
}
