/**
 * What checking the records of `groups` exchanges may cost this node
 * (docs/adr/0097-group-exchange-work-per-member.md). A record's signature is the dear part of an
 * exchange, and a member may name 16 devices that each start 30 exchanges a minute: checked as they
 * came, in one go on the event loop, a flood of well-signed records with one bad one at the end stalled
 * the shells and links of a group's device. So:
 *
 * - **cheap checks first**: a record found bad before refuses the exchange at once, then the count
 *   against the budget, then every new record's shape and what the caller checks without signatures
 *   (`precheck`), and only then the signatures;
 * - **a record is checked once**: one whose exact text was checked before (held or not) is not checked
 *   again, up to REMEMBERED_RECORDS remembered, the least recently seen forgotten first;
 * - **a budget per principal and per node**: the records new here that one member (all its devices
 *   together) or other device may have checked a minute, MAX_NEW_RECORDS_PER_MEMBER_MINUTE, and all of
 *   them together, MAX_NEW_RECORDS_PER_NODE_MINUTE; an exchange past either is refused whole before
 *   any is checked. This person's own devices (they sign for the owner anyway) are not counted;
 * - **a signer's certificate is parsed once** (REMEMBERED_SIGNERS of them kept);
 * - **in slices**: the loop takes its turn every RECORDS_PER_SLICE new records, and one exchange is
 *   checked at a time (the book applies them one by one), so a shell, a link or `status` waits for one
 *   slice, not for an exchange.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { groupSignatureProblem } from '../crypto/group-signature.js';
import { publicKeyOfCert } from '../crypto/signature.js';
import { MAX_GROUP_RECORDS_PER_EXCHANGE, type GroupRecord } from '../protocol/group-records.js';
import { aboutGroupRecord, screenGroupRecord } from './group-plan.js';

/** New records one member (all its devices) or other device may have checked a minute: two full exchanges. */
export const MAX_NEW_RECORDS_PER_MEMBER_MINUTE = 2 * MAX_GROUP_RECORDS_PER_EXCHANGE;
/** New records all of them together may have checked a minute: four full exchanges. */
export const MAX_NEW_RECORDS_PER_NODE_MINUTE = 4 * MAX_GROUP_RECORDS_PER_EXCHANGE;
/** New records checked between two turns of the event loop: a slice is short beside a keystroke's echo. */
export const RECORDS_PER_SLICE = 16;
/** Records hashed between two turns of the event loop: a hash costs a small part of a check. */
const HASHES_PER_SLICE = 16 * RECORDS_PER_SLICE;
/** Records whose verdict is remembered: the records a node keeps in all but the largest books, and more. */
export const REMEMBERED_RECORDS = 8 * MAX_GROUP_RECORDS_PER_EXCHANGE;

/** Signers whose keys are kept parsed: a group's owner devices and a member's devices, with room. */
const REMEMBERED_SIGNERS = 64;

/** Who sent an exchange, for the budget: a member's root, another device, or this person's (undefined). */
export type CheckPrincipal = string | undefined;

export interface GroupRecordChecksDeps {
  /** Milliseconds, for the budgets. */
  now?: () => number;
  /** One turn of the event loop (tests count them). */
  turn?: () => Promise<void>;
  /** Why a record's signature does not hold (tests count the calls). */
  signatureProblem?: (r: GroupRecord) => string | undefined;
}

/** What one exchange's check gave: its records, or why it is refused, and how many signatures it cost. */
export type CheckResult = ({ records: GroupRecord[] } | { refused: string }) & { signatures: number };

const MINUTE_MS = 60_000;

/** A budget refilled evenly over a minute, holding at most a minute's worth. */
class Allowance {
  private left: number;
  private at: number;

  constructor(
    private readonly perMinute: number,
    now: number,
  ) {
    this.left = perMinute;
    this.at = now;
  }

  /** What is left at `now`. */
  available(now: number): number {
    this.left = Math.min(this.perMinute, this.left + ((now - this.at) * this.perMinute) / MINUTE_MS);
    this.at = now;
    return this.left;
  }

  take(n: number): void {
    this.left -= n;
  }

  /** Seconds until `n` are available (with `left` as now). */
  secondsUntil(n: number): number {
    return Math.ceil(((n - this.left) * MINUTE_MS) / this.perMinute / 1000);
  }

  full(now: number): boolean {
    return this.available(now) >= this.perMinute;
  }
}

/** The checks of one node: one instance, shared by every exchange. */
export class GroupRecordChecks {
  /** Signatures checked since start (a count the tests and the log read). */
  signaturesChecked = 0;
  /** Per record text's hash: whether it held. Insertion order is recency (a hit moves it to the end). */
  private readonly verdicts = new Map<string, boolean>();
  private readonly principals = new Map<string, Allowance>();
  /** Signers' public keys by fingerprint, the oldest forgotten first. */
  private readonly signerKeys = new Map<string, KeyObject>();
  private readonly node: Allowance;
  private readonly now: () => number;
  private readonly turn: () => Promise<void>;
  private readonly signatureProblem: (r: GroupRecord) => string | undefined;

  constructor(deps: GroupRecordChecksDeps = {}) {
    this.now = deps.now ?? Date.now;
    this.turn = deps.turn ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
    this.signatureProblem =
      deps.signatureProblem ?? ((r) => groupSignatureProblem(r, (der, fp) => this.signerKey(der, fp)));
    this.node = new Allowance(MAX_NEW_RECORDS_PER_NODE_MINUTE, this.now());
  }

  /**
   * `incoming` (one exchange's records as JSON gave them) from `principal` as records whose
   * signatures hold, or why the exchange is refused. `precheck` says why records that parse cannot
   * be kept whatever their signatures (it runs before any signature is checked).
   */
  async check(
    incoming: readonly unknown[],
    principal: CheckPrincipal,
    precheck: (records: GroupRecord[]) => string | undefined = () => undefined,
  ): Promise<CheckResult> {
    if (incoming.length > MAX_GROUP_RECORDS_PER_EXCHANGE)
      return {
        refused: `${incoming.length} records, at most ${MAX_GROUP_RECORDS_PER_EXCHANGE} at once`,
        signatures: 0,
      };
    // Each exchange starts on a turn of its own: those queued behind one another do not run as one.
    await this.turn();
    const keys: (string | undefined)[] = [];
    for (const [i, raw] of incoming.entries()) {
      if (i > 0 && i % HASHES_PER_SLICE === 0) await this.turn();
      keys.push(keyOf(raw));
    }
    const fresh: number[] = [];
    for (const [i, key] of keys.entries()) {
      const verdict = this.recall(key);
      if (verdict === false)
        return { refused: `record ${i + 1} is one whose signature did not hold before`, signatures: 0 };
      if (verdict === undefined) fresh.push(i);
    }
    const busy = this.spend(principal, fresh.length);
    if (busy) return { refused: busy, signatures: 0 };
    const records = incoming.slice() as GroupRecord[];
    const sliced = async (n: number) => {
      if (n > 0 && n % RECORDS_PER_SLICE === 0) await this.turn();
    };
    for (const [n, i] of fresh.entries()) {
      await sliced(n);
      const r = screenGroupRecord(incoming[i], i);
      if (typeof r === 'string') return { refused: r, signatures: 0 };
      records[i] = r;
    }
    const cheap = precheck(records);
    if (cheap) return { refused: cheap, signatures: 0 };
    let signatures = 0;
    for (const [n, i] of fresh.entries()) {
      // The shapes took their turns already: the signatures start a slice of their own.
      if (n % RECORDS_PER_SLICE === 0) await this.turn();
      const r = records[i]!;
      const problem = this.signatureProblem(r);
      signatures++;
      this.signaturesChecked++;
      this.remember(keys[i], problem === undefined);
      if (problem) return { refused: `${aboutGroupRecord(r)}: ${problem}`, signatures };
    }
    return { records, signatures };
  }

  /**
   * The public key of signer `fingerprint`, parsed from its certificate once: a flood or a large
   * exchange has few signers, and parsing the certificate is most of what a check costs beside the
   * signature itself.
   */
  private signerKey(certDer: Uint8Array, fingerprint: string): KeyObject | undefined {
    const known = this.signerKeys.get(fingerprint);
    if (known) return known;
    const key = publicKeyOfCert(certDer);
    if (!key) return undefined;
    this.signerKeys.set(fingerprint, key);
    if (this.signerKeys.size > REMEMBERED_SIGNERS) {
      const oldest = this.signerKeys.keys().next().value;
      if (oldest !== undefined) this.signerKeys.delete(oldest);
    }
    return key;
  }

  /** What was found of the record with `key` before (seen again: kept longer), or undefined. */
  private recall(key: string | undefined): boolean | undefined {
    if (key === undefined) return undefined;
    const verdict = this.verdicts.get(key);
    if (verdict !== undefined) {
      this.verdicts.delete(key);
      this.verdicts.set(key, verdict);
    }
    return verdict;
  }

  private remember(key: string | undefined, held: boolean): void {
    if (key === undefined) return;
    this.verdicts.delete(key);
    this.verdicts.set(key, held);
    if (this.verdicts.size > REMEMBERED_RECORDS) {
      const oldest = this.verdicts.keys().next().value;
      if (oldest !== undefined) this.verdicts.delete(oldest);
    }
  }

  /** Takes `n` from `principal`'s budget and the node's, or says why not (and takes nothing). */
  private spend(principal: CheckPrincipal, n: number): string | undefined {
    if (n === 0 || principal === undefined) return undefined;
    const now = this.now();
    // A principal whose budget is whole again is forgotten: a new one starts whole.
    for (const [p, a] of this.principals) if (a.full(now)) this.principals.delete(p);
    const own = this.principals.get(principal) ?? new Allowance(MAX_NEW_RECORDS_PER_MEMBER_MINUTE, now);
    const mine = own.available(now);
    const all = this.node.available(now);
    if (mine < n)
      return `busy: ${n} new records, and this sender may have at most ${MAX_NEW_RECORDS_PER_MEMBER_MINUTE} checked a minute (all its devices together); try again in ${own.secondsUntil(n)} s`;
    if (all < n)
      return `busy: ${n} new records, and this node checks at most ${MAX_NEW_RECORDS_PER_NODE_MINUTE} a minute from other people's devices; try again in ${this.node.secondsUntil(n)} s`;
    own.take(n);
    this.node.take(n);
    this.principals.set(principal, own);
    return undefined;
  }
}

/**
 * The hash of a record's text as it came (JSON of what JSON.parse gave): the same text is the same
 * record, so what was found of it holds again. Undefined for what is no JSON value.
 */
function keyOf(raw: unknown): string | undefined {
  let text: string | undefined;
  try {
    text = JSON.stringify(raw);
  } catch {
    return undefined;
  }
  return text === undefined ? undefined : createHash('sha256').update(text).digest('base64');
}
