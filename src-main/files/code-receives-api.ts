/**
 * The API of receives with a code the agent runs for `file receive` (ADR 0125; files-contract.ts):
 * `files.receiveCode`, `files.codeReceives`, `files.cancelReceive`, and the `file.codeReceive` event,
 * over the running receives (code-receives.ts).
 */
import type { MethodParams } from '../api/contract.js';
import type { Disposer } from '../core/emitter.js';
import type { CodeReceives } from './code-receives.js';
import type { CodeReceiveMethod } from './files-api.js';
import type { CodeReceiveInfo, FileMethodResults } from './files-contract.js';

type Handlers = {
  [M in CodeReceiveMethod]: (params: MethodParams<M>) => Promise<FileMethodResults[M]> | FileMethodResults[M];
};

/** The three methods, for the files domain (files-domain.ts). */
export function codeReceiveHandlers(receives: CodeReceives): Handlers {
  return {
    'files.receiveCode': (p) =>
      receives.start({
        text: p.text,
        dir: p.dir,
        ...(p.relay
          ? {
              relay: {
                url: p.relay.url,
                ...(p.relay.fingerprint ? { fingerprint: p.relay.fingerprint } : {}),
              },
            }
          : {}),
        ...(p.direct === false ? { direct: false } : {}),
      }),
    'files.codeReceives': () => receives.list(),
    'files.cancelReceive': (p) => receives.cancel(p.id),
  };
}

/** The `file.codeReceive` event's source, for the API's event hub. */
export function onCodeReceive(receives: CodeReceives, listener: (r: CodeReceiveInfo) => void): Disposer {
  return receives.events.on('changed', listener);
}
