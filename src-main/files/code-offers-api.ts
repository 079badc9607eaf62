/**
 * The API of offers made with a code (ADR 0124; files-contract.ts): `files.sendCode`,
 * `files.codeOffers`, `files.cancelCode`, and the `file.codeOffer` event, over the running offers
 * (code-offers.ts).
 */
import type { MethodParams } from '../api/contract.js';
import type { Disposer } from '../core/emitter.js';
import type { CodeOffers } from './code-offers.js';
import type { CodeOfferMethod } from './files-api.js';
import type { CodeOfferInfo, FileMethodResults } from './files-contract.js';

type Handlers = {
  [M in CodeOfferMethod]: (params: MethodParams<M>) => Promise<FileMethodResults[M]> | FileMethodResults[M];
};

/** The three methods, for the files domain (files-domain.ts). */
export function codeOfferHandlers(offers: CodeOffers): Handlers {
  return {
    'files.sendCode': (p) =>
      offers.offer(p.paths, p.ttlSeconds === undefined ? undefined : p.ttlSeconds * 1000),
    'files.codeOffers': () => offers.list(),
    'files.cancelCode': (p) => offers.cancel(p.id),
  };
}

/** The `file.codeOffer` event's source, for the API's event hub. */
export function onCodeOffer(offers: CodeOffers, listener: (o: CodeOfferInfo) => void): Disposer {
  return offers.events.on('changed', listener);
}
