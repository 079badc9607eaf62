/**
 * Prometheus metrics of one relay (architecture.md §Relay), in a registry of its own so two relays in one process
 * (tests, an agent that also relays) never share or clash on counters. Gauges read live state at scrape
 * time instead of being kept in step on every change.
 */
import { Counter, Gauge, Registry } from 'prom-client';

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

export class RelayMetrics {
  readonly registry = new Registry();
  /** Payload bytes of DATA frames forwarded (headers excluded). */
  readonly bytesForwarded: Counter;
  /** DATA frames forwarded. */
  readonly framesForwarded: Counter;
  /** Frames that closed their sender's connection, by reason (close code name, lowercase). */
  readonly framesRejected: Counter<'reason'>;
  /** Frames ignored without closing anything, by reason (e.g. `unknown_circuit`). */
  readonly framesDropped: Counter<'reason'>;
  /** Failed authentications and refused connections, by reason. */
  readonly authFailures: Counter<'reason'>;
  /** Connections the relay ended for a limit or liveness reason (slow consumer, idle, heartbeat, replaced). */
  readonly disconnects: Counter<'reason'>;
  /** Successful authentications. */
  readonly authSuccesses: Counter;
  /** Circuits opened. */
  readonly circuitsOpened: Counter;
  /** New nodes refused because the relay is full (close 4024), by what ran out: nodes, fds, memory. */
  readonly refusedFull: Counter<'reason'>;
  /** 1 while the relay refuses new nodes (the last one was refused as full), else 0. */
  readonly full: Gauge;

  constructor(source: RelayGaugeSource) {
    const registers = [this.registry];
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
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
    this.full = new Gauge({
      name: 'clawbridge_relay_full',
      help: '1 while the relay refuses new nodes as full (close 4024), else 0.',
      registers,
    });
    this.refusedFull = new Counter({
      name: 'clawbridge_relay_refused_full_total',
      help: 'New nodes refused because the relay is full (close 4024), by what ran out: nodes, fds, memory.',
      labelNames: ['reason'],
      registers,
    });
    this.bytesForwarded = new Counter({
      name: 'clawbridge_relay_bytes_forwarded_total',
      help: 'Payload bytes forwarded: DATA frames on circuits and bytes piped by splices.',
      registers,
      collect() {
        source.countPiped();
      },
    });
    this.framesForwarded = new Counter({
      name: 'clawbridge_relay_frames_forwarded_total',
      help: 'DATA frames forwarded.',
      registers,
    });
    this.framesRejected = new Counter({
      name: 'clawbridge_relay_frames_rejected_total',
      help: 'Frames that made the relay close the sender, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.framesDropped = new Counter({
      name: 'clawbridge_relay_frames_dropped_total',
      help: 'Frames ignored without closing the sender (e.g. DATA on a circuit that just closed), by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.authFailures = new Counter({
      name: 'clawbridge_relay_auth_failures_total',
      help: 'Failed authentications and refused connections, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.disconnects = new Counter({
      name: 'clawbridge_relay_disconnects_total',
      help: 'Connections ended by the relay for a limit or liveness reason.',
      labelNames: ['reason'],
      registers,
    });
    this.authSuccesses = new Counter({
      name: 'clawbridge_relay_auth_successes_total',
      help: 'Successful node authentications.',
      registers,
    });
    this.circuitsOpened = new Counter({
      name: 'clawbridge_relay_circuits_opened_total',
      help: 'Circuits opened.',
      registers,
    });
  }
}
