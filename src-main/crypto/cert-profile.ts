/**
 * What every node's self-signed certificate says, whoever builds it: the agent (identity.ts, on
 * node:crypto) and the browser node (src-web/node/certificate.ts, on WebCrypto) both read it here
 * (ADR 0116), and node-kind.ts tells a browser by its mark.
 */

/** The subject's organizational unit a browser node's certificate carries (ADR 0094). */
export const BROWSER_UNIT = 'clawbridge browser';

/** Certificate lifetime in years: the fingerprint is the identity, so it must outlive any install. */
export const IDENTITY_VALIDITY_YEARS = 20;

/** Backdating of `notBefore` in milliseconds (1 day) so a peer whose clock lags still accepts the cert. */
export const CLOCK_SKEW_MS = 24 * 60 * 60 * 1000;
