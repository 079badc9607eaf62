/**
 * A link to a device through the relay: a circuit to its node ID, the E2E handshake pinned to its
 * fingerprint, then every frame sealed into a record (e2e.ts). What the mux runs on.
 */
import { BrowserNodeError } from './bytes.js';
import { initiateE2E, type E2ESession } from './e2e.js';
import type { BrowserIdentity } from './identity.js';
import type { FrameLink } from './mux.js';
import type { BrowserCircuit, RelayConnection } from './relay-connection.js';

/** The device closed the circuit before the link was up: refusing this browser (with its code), or gone. */
function closedDuringHandshake(reason: string, refusal: string | undefined): BrowserNodeError {
  return new BrowserNodeError(
    'HANDSHAKE_FAILED',
    `the circuit closed during the end-to-end handshake: ${reason}`,
    refusal,
  );
}

/** How long the circuit and the handshake may take together, in ms (links/path-dialers.ts). */
export const LINK_TIMEOUT_MS = 10_000;

class SecureLink implements FrameLink {
  private frameListener: ((frame: Uint8Array) => void) | undefined;
  private readonly closeListeners: ((reason: string, refusal?: string) => void)[] = [];
  private closedWith: string | undefined;

  constructor(
    private readonly circuit: BrowserCircuit,
    private readonly session: E2ESession,
    held: readonly Uint8Array[],
  ) {
    // Records the device sealed right after the handshake, before this subscribed, are read first.
    for (const record of held) this.onRecord(record);
    circuit.onFrame((record) => this.onRecord(record));
    circuit.onClose((reason, refusal) => this.ended(reason, refusal));
  }

  private onRecord(record: Uint8Array): void {
    this.session.open(record).then(
      (frame) => {
        if (frame && this.closedWith === undefined) this.frameListener?.(frame);
      },
      (err: Error) => this.close(`end-to-end channel failed: ${err.message}`),
    );
  }

  send(frame: Uint8Array): void {
    if (this.closedWith !== undefined) return;
    this.session.seal(frame).then(
      (records) => {
        for (const r of records) this.circuit.send(r);
      },
      (err: Error) => this.close(`end-to-end channel failed: ${err.message}`),
    );
  }
  onFrame(listener: (frame: Uint8Array) => void): void {
    this.frameListener = listener;
  }
  onClose(listener: (reason: string, refusal?: string) => void): void {
    if (this.closedWith !== undefined) listener(this.closedWith);
    else this.closeListeners.push(listener);
  }
  close(reason: string): void {
    this.circuit.close(reason);
    this.ended(reason);
  }
  private ended(reason: string, refusal?: string): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = reason;
    for (const l of this.closeListeners.splice(0)) l(reason, refusal);
  }
}

/**
 * Opens a link to `device` through `relay`. @throws BrowserNodeError('FINGERPRINT_MISMATCH'),
 * ('HANDSHAKE_FAILED'), ('TIMEOUT'), ('PEER_OFFLINE') when the device is not on the relay, or the
 * relay's other refusals ('RELAY_FAILED').
 */
export async function linkTo(
  relay: RelayConnection,
  identity: BrowserIdentity,
  device: string,
): Promise<FrameLink> {
  const circuit = await relay.openCircuit(device);
  const queue: Uint8Array[] = [];
  let waiter: ((frame: Uint8Array) => void) | undefined;
  let closed: string | undefined;
  let failWaiter: ((err: Error) => void) | undefined;
  let refusal: string | undefined;
  circuit.onFrame((f) => {
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      w(f);
    } else queue.push(f);
  });
  circuit.onClose((reason, refused) => {
    closed = reason;
    refusal = refused;
    failWaiter?.(closedDuringHandshake(reason, refused));
  });
  const next = () =>
    new Promise<Uint8Array>((resolve, reject) => {
      const ready = queue.shift();
      if (ready) return resolve(ready);
      if (closed !== undefined) return reject(closedDuringHandshake(closed, refusal));
      waiter = resolve;
      failWaiter = reject;
    });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BrowserNodeError('TIMEOUT', 'the end-to-end handshake with the device timed out')),
      LINK_TIMEOUT_MS,
    );
  });
  try {
    const session = await Promise.race([
      initiateE2E(identity, device, (m) => circuit.send(m), next),
      timeout,
    ]);
    // Frames sealed by the device right after its handshake wait in `queue`; the link reads them first.
    return new SecureLink(circuit, session, queue.splice(0));
  } catch (err) {
    circuit.close(`end-to-end handshake failed: ${(err as Error).message}`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
