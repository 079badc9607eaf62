/**
 * A transfer the window started says how it ended: its "Sending …" toast gives way to a done, failed
 * or cancelled line, so no notice says "Sending" about a transfer that is over. No React, so node:test
 * drives it with the real files store over a FakeTransport.
 */
import type { TransferInfo } from '../../../src-main/files/files-contract.js';
import { finished, type FilesStore } from './files-store.js';
import type { Disposer } from '../../api/transport.js';
import { endedText } from './files-text.js';
import type { Toasts } from '../../lib/toasts.js';

/** Follows `sent` until it ends (or leaves the list); `sending` is the toast that said it started. */
export function followSendNotice(
  files: Pick<FilesStore, 'get' | 'subscribe'>,
  toasts: Pick<Toasts, 'show' | 'dismiss'>,
  sent: Pick<TransferInfo, 'id'>,
  sending: number,
): Disposer {
  let over = false;
  const check = () => {
    if (over) return;
    const t = files.get().transfers.find((x) => x.id === sent.id);
    if (t && !finished(t)) return;
    over = true;
    off();
    toasts.dismiss(sending);
    if (t) toasts.show(endedText(t));
  };
  const off = files.subscribe(check);
  check();
  return () => {
    over = true;
    off();
  };
}
