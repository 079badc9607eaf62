/**
 * How many nodes the relay can still take (docs/relay-protocol.md §Capacity, ADR 0054). Three things
 * run out on a relay that serves many nodes, and each must refuse the next node clearly instead of
 * failing the process or the nodes it already serves:
 *
 * - `maxNodes`: the operator's cap on WebSocket connections (`clawbridge relay --max-nodes N`);
 * - file descriptors: every node holds one socket. Past the soft RLIMIT_NOFILE, accept() fails with
 *   EMFILE and the kernel resets the node with no reason given, while log files, /metrics and splices
 *   need descriptors too. So the relay keeps a reserve (`fdReserve`): a node past `limit − reserve`
 *   is still accepted and upgraded (within the reserve) only to be closed with RELAY_FULL; past
 *   `limit − FD_HARD_RESERVE` a connection is closed at accept, before TLS;
 * - memory: the process's RSS past `memoryBudgetBytes` (90 % of the machine's or its cgroup's memory
 *   unless set), or the V8 heap past 90 % of its limit, refuses new nodes until it is back below.
 *
 * Open descriptors are counted, not listed: the ones open at start (read once from /proc/self/fd) plus
 * every socket the relay accepted and has not closed (RelayAcceptor.size). Linux only: elsewhere the
 * soft limit is unknown and only the cap and memory apply.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { constrainedMemory } from 'node:process';
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';

/** Why the relay refuses new nodes: the label of clawbridge_relay_refused_full_total. */
export type FullReason = 'nodes' | 'fds' | 'memory';

/**
 * Descriptors below the soft limit that accept() never uses: past `limit − this`, a connection is
 * closed at accept (no TLS, no close code), so the relay never meets EMFILE itself.
 */
export const FD_HARD_RESERVE = 16;
/** Share of the machine's (or cgroup's) memory the relay lets its RSS reach before refusing nodes. */
const MEMORY_SHARE = 0.9;
/** Share of V8's heap limit past which the relay refuses nodes (a full heap aborts the process). */
const HEAP_SHARE = 0.9;

/** The default fd reserve for a soft limit: 1/20 of it, at least 32 and at most 256. */
export function defaultFdReserve(limit: number): number {
  return Math.max(32, Math.min(256, Math.floor(limit / 20)));
}

/** The soft RLIMIT_NOFILE from /proc/self/limits, or undefined where that cannot be read. */
export function softFdLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m && m[1] !== 'unlimited' ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function openFdCount(): number | undefined {
  try {
    // readdir holds one descriptor of its own while it reads.
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}

/** The memory the relay's RSS may use by default: MEMORY_SHARE of the cgroup's limit, or of the machine's. */
export function defaultMemoryBudget(): number {
  const total = totalmem();
  const cgroup = constrainedMemory();
  const available = cgroup > 0 && cgroup < total ? cgroup : total;
  return Math.floor(available * MEMORY_SHARE);
}

export interface CapacityOptions {
  /** WebSocket connections served at once, authenticated or authenticating. */
  maxNodes: number;
  /** Descriptors kept free below the soft limit for everything but new nodes; defaultFdReserve unless set. */
  fdReserve?: number;
  /** RSS in bytes past which new nodes are refused; defaultMemoryBudget unless set. */
  memoryBudgetBytes?: number;
}

export class RelayCapacity {
  /** The soft open-file limit, when known. */
  readonly fdLimit: number | undefined;
  readonly fdReserve: number;
  readonly memoryBudgetBytes: number;
  readonly maxNodes: number;
  /** Descriptors open when the relay started (listener, stdio, libuv's own). */
  private readonly baseFds: number;
  /** Set by sample() (every sweep): the memory is over its budget now. */
  private memoryFull = false;
  /** RSS and heap at the last sample, in bytes, for the log line. */
  private lastRss = 0;

  constructor(
    opts: CapacityOptions,
    /** Sockets the relay holds now: every accepted one not yet closed. */
    private readonly sockets: () => number,
    /** WebSocket connections now. */
    private readonly connections: () => number,
  ) {
    this.maxNodes = opts.maxNodes;
    this.fdLimit = softFdLimit();
    this.baseFds = openFdCount() ?? 0;
    this.fdReserve = opts.fdReserve ?? defaultFdReserve(this.fdLimit ?? 0);
    this.memoryBudgetBytes = opts.memoryBudgetBytes ?? defaultMemoryBudget();
  }

  /** Descriptors in use by the count above. */
  get fdsInUse(): number {
    return this.baseFds + this.sockets();
  }

  /** Nodes the relay can hold at most: the cap, or the descriptors left for nodes, whichever is lower. */
  get nodeCapacity(): number {
    if (this.fdLimit === undefined) return this.maxNodes;
    return Math.max(0, Math.min(this.maxNodes, this.fdLimit - this.fdReserve - this.baseFds));
  }

  /** Whether a new TCP connection may be accepted at all (false: close it at once, no TLS). */
  canAccept(): boolean {
    return this.fdLimit === undefined || this.fdsInUse < this.fdLimit - FD_HARD_RESERVE;
  }

  /**
   * Why a new WebSocket (counted in sockets(), not yet in connections()) must be refused, or undefined
   * when the relay has room for it.
   */
  refusal(): FullReason | undefined {
    if (this.connections() >= this.maxNodes) return 'nodes';
    if (this.fdLimit !== undefined && this.fdsInUse > this.fdLimit - this.fdReserve) return 'fds';
    if (this.memoryFull) return 'memory';
    return undefined;
  }

  /** Reads memory use (called every sweep, ≤ 1 s, so a refusal does not read it per connection). */
  sample(): void {
    this.lastRss = process.memoryUsage.rss();
    const heap = getHeapStatistics();
    this.memoryFull =
      this.lastRss > this.memoryBudgetBytes || heap.used_heap_size > heap.heap_size_limit * HEAP_SHARE;
  }

  /** What the log says about a refusal for `reason`. */
  describe(reason: FullReason): string {
    switch (reason) {
      case 'nodes':
        return `${this.connections()} nodes connected, the cap set by maxNodes (--max-nodes) is ${this.maxNodes}`;
      case 'fds':
        return `${this.fdsInUse} of ${this.fdLimit} open files in use, ${this.fdReserve} kept in reserve; raise the limit (ulimit -n) to take more nodes`;
      case 'memory':
        return `RSS ${Math.round(this.lastRss / 2 ** 20)} MiB, budget ${Math.round(this.memoryBudgetBytes / 2 ** 20)} MiB (--max-memory), or the heap is near its limit`;
    }
  }
}
