/**
 * Follows one item the agent runs (an offer made with a code, a receive with a code) until it ends: by
 * its event, and by a read of the list every second besides (an event lost costs no more than that).
 * The agent going away ends the following with NO_AGENT and `gone`.
 */
import type { ControlClient } from '../../api/control-client.js';
import { ClawError } from '../../core/errors.js';

/** How often the list is read besides the events, in ms. */
const POLL_MS = 1000;

export interface Following<T extends { id: string }> {
  id: string;
  /** The event that carries the item. */
  event: string;
  /** Reads the list that holds it. */
  list(): Promise<T[]>;
  /** Each reading of the item, the last (ended) one too. */
  show(item: T): void;
  ended(item: T): boolean;
  /** What the agent stopping means for the item, for the error. */
  gone: string;
}

export function followUntilEnded<T extends { id: string }>(
  client: ControlClient,
  f: Following<T>,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let over = false;
    const end = () => {
      over = true;
      off();
      offClose();
      clearInterval(poll);
    };
    const seen = (item: T) => {
      if (over || item.id !== f.id) return;
      f.show(item);
      if (!f.ended(item)) return;
      end();
      resolve(item);
    };
    const off = client.onEvent((event, data) => {
      if (event === f.event) seen(data as unknown as T);
    });
    const offClose = client.onClose(() => {
      if (over) return;
      end();
      reject(new ClawError('NO_AGENT', f.gone));
    });
    const poll = setInterval(() => {
      f.list().then(
        (items) => {
          const item = items.find((x) => x.id === f.id);
          if (item) seen(item);
        },
        () => undefined,
      );
    }, POLL_MS);
  });
}
