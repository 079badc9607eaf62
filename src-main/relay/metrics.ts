/**
 * Prometheus metrics of one relay (architecture.md §Relay), in a registry of its own so two relays in one process
 * (tests, an agent that also relays) never share or clash on counters. Gauges read live state at scrape
 * time instead of being kept in step on every change.
 *
 * The relay counts in plain numbers (Tally, TallyBy, Level), and prom-client, which writes the text a
 * scrape gets, is imported on the first scrape (ADR 0075): its code would sit in the heap of an idle
 * relay that nobody scrapes (docs/design/relay-memory.md §What a node costs).
 */
import type { Registry } from 'prom-client';

/** Live counts the gauges read when scraped. */
export interface RelayGaugeSource {
  connections(): number;
  nodes(): number;
  circuits(): number;
  splices(): number;
  /** Brings bytes-forwarded up to date with what splices piped so far (they are counted in bulk). */
  countPiped(): void;
  /** Nodes the relay can hold at most now (its cap, or what its open-file limit leaves). */
  nodeCapacity(): number;
  /** Open file descriptors, as the relay counts them (relay/capacity.ts). */
  openFds(): number;
}

/** A counter: only goes up. */
export class Tally {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
}

/** A counter per reason (one Prometheus label, `reason`); a reason shows once counted. */
export class TallyBy {
  readonly values = new Map<string, number>();
  inc(labels: { reason: string }, n = 1): void {
    this.values.set(labels.reason, (this.values.get(labels.reason) ?? 0) + n);
  }
}

/** A gauge set by the relay (not read at scrape time). */
export class Level {
  value = 0;
  set(v: number): void {
    this.value = v;
  }
}

/** What a scrape answers. */
export interface Scrape {
  body: string;
  contentType: string;
}

export class RelayMetrics {
  /** Payload bytes of DATA frames forwarded (headers excluded). */
  readonly bytesForwarded = new Tally();
  /** DATA frames forwarded. */
  readonly framesForwarded = new Tally();
  /** Frames that closed their sender's connection, by reason (close code name, lowercase). */
  readonly framesRejected = new TallyBy();
  /** Frames ignored without closing anything, by reason (e.g. `unknown_circuit`). */
  readonly framesDropped = new TallyBy();
  /** Failed authentications and refused connections, by reason. */
  readonly authFailures = new TallyBy();
  /** Connections the relay ended for a limit or liveness reason (slow consumer, idle, heartbeat, replaced). */
  readonly disconnects = new TallyBy();
  /** Successful authentications. */
  readonly authSuccesses = new Tally();
  /** Circuits opened. */
  readonly circuitsOpened = new Tally();
  /** New nodes refused because the relay is full (close 4024), by what ran out: nodes, fds, memory. */
  readonly refusedFull = new TallyBy();
  /** 1 while the relay refuses new nodes (the last one was refused as full), else 0. */
  readonly full = new Level();

  /** Made on the first scrape (prom-client loads then). */
  private registry: Promise<Registry> | undefined;

  constructor(private readonly source: RelayGaugeSource) {}

  /** The Prometheus text of every metric, as GET /metrics serves it, and its content type. */
  async scrape(): Promise<Scrape> {
    const registry = await (this.registry ??= this.makeRegistry());
    return { body: await registry.metrics(), contentType: registry.contentType };
  }

  private async makeRegistry(): Promise<Registry> {
    const { Counter, Gauge, Registry } = await import('prom-client');
    const registry = new Registry();
    const registers = [registry];
    const source = this.source;
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    // Each counter is set from its tally as it is scraped: reset, then the tally's total.
    const counter = (name: string, help: string, tally: Tally, before?: () => void) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          before?.();
          this.reset();
          this.inc(tally.value);
        },
      });
    const counterBy = (name: string, help: string, tally: TallyBy) =>
      new Counter({
        name,
        help,
        labelNames: ['reason'],
        registers,
        collect() {
          this.reset();
          for (const [reason, n] of tally.values) this.inc({ reason }, n);
        },
      });
    gauge('clawbridge_relay_connections', 'Open WebSocket connections, authenticated or not.', () =>
      source.connections(),
    );
    gauge('clawbridge_relay_nodes', 'Authenticated nodes connected.', () => source.nodes());
    gauge('clawbridge_relay_circuits', 'Open circuits.', () => source.circuits());
    gauge('clawbridge_relay_splices', 'Splices piping now (two connections each).', () => source.splices());
    gauge(
      'clawbridge_relay_node_capacity',
      'Nodes the relay can hold at most: its maxNodes cap, or what its open-file limit leaves.',
      () => source.nodeCapacity(),
    );
    gauge('clawbridge_relay_open_fds', 'Open file descriptors (counted: at start plus sockets held).', () =>
      source.openFds(),
    );
    gauge(
      'clawbridge_relay_full',
      '1 while the relay refuses new nodes as full (close 4024), else 0.',
      () => this.full.value,
    );
    counterBy(
      'clawbridge_relay_refused_full_total',
      'New nodes refused because the relay is full (close 4024), by what ran out: nodes, fds, memory.',
      this.refusedFull,
    );
    counter(
      'clawbridge_relay_bytes_forwarded_total',
      'Payload bytes forwarded: DATA frames on circuits and bytes piped by splices.',
      this.bytesForwarded,
      () => source.countPiped(),
    );
    counter('clawbridge_relay_frames_forwarded_total', 'DATA frames forwarded.', this.framesForwarded);
    counterBy(
      'clawbridge_relay_frames_rejected_total',
      'Frames that made the relay close the sender, by reason.',
      this.framesRejected,
    );
    counterBy(
      'clawbridge_relay_frames_dropped_total',
      'Frames ignored without closing the sender (e.g. DATA on a circuit that just closed), by reason.',
      this.framesDropped,
    );
    counterBy(
      'clawbridge_relay_auth_failures_total',
      'Failed authentications and refused connections, by reason.',
      this.authFailures,
    );
    counterBy(
      'clawbridge_relay_disconnects_total',
      'Connections ended by the relay for a limit or liveness reason.',
      this.disconnects,
    );
    counter('clawbridge_relay_auth_successes_total', 'Successful node authentications.', this.authSuccesses);
    counter('clawbridge_relay_circuits_opened_total', 'Circuits opened.', this.circuitsOpened);
    return registry;
  }
}
