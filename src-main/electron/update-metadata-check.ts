/**
 * Signed update metadata on every platform (docs/adr/0084-signed-update-metadata.md). electron-updater
 * reads a feed file (`latest*.yml`, `beta*.yml`) with its HTTP executor's `request`, from every
 * provider (generic and GitHub alike), and downloads installers with `download`. This wraps `request`:
 * a feed file is answered to the updater only after its detached signature (`<file>.sig`, fetched
 * beside it) verifies over its exact bytes with a key the app ships; otherwise the check fails and
 * nothing is downloaded. What the updater then parses, and checks the download's SHA-512 against, is
 * exactly the signed text. Every request must also be HTTPS (plain HTTP only to loopback, for tests).
 */
import { feedUrlProblem } from './update-policy.js';

/** The code of a feed file whose signature does not verify (update-policy.ts failureKind: 'signature'). */
export const ERR_UPDATE_METADATA_SIGNATURE = 'ERR_UPDATE_METADATA_SIGNATURE';

/** The code of a request to a feed that is not HTTPS (update-policy.ts failureKind: 'feed'). */
export const ERR_UPDATE_FEED_INSECURE = 'ERR_UPDATE_FEED_INSECURE';

/** builder-util-runtime's RequestOptions, the part read here. */
export interface FeedRequestOptions {
  protocol?: string | null;
  hostname?: string | null;
  port?: number | string | null;
  path?: string | null;
  headers?: Record<string, unknown> | null;
}

/** The part of electron-updater's HTTP executor (builder-util-runtime HttpExecutor) wrapped here. */
export interface FeedExecutor {
  request(
    options: FeedRequestOptions,
    cancellationToken?: unknown,
    data?: unknown,
  ): Promise<string | null | undefined>;
}

export function updateError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** The request's URL; electron-updater leaves `protocol` unset for HTTPS inside Electron. */
function requestUrl(options: FeedRequestOptions): URL {
  const port = options.port ? `:${String(options.port)}` : '';
  return new URL(`${options.protocol ?? 'https:'}//${options.hostname ?? ''}${port}${options.path ?? '/'}`);
}

/** The file a URL names, decoded; a name that does not decode is kept as sent (and signs as that). */
function lastSegment(url: URL): string {
  const raw = url.pathname.split('/').pop() ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

const isNotFound = (err: unknown) => (err as { statusCode?: unknown } | null)?.statusCode === 404;

const wrapped = new WeakSet<FeedExecutor>();

/**
 * Makes `executor` answer a feed file only once its signature verifies with one of `publicKeys`
 * (base64 Ed25519), and refuse any request that is not HTTPS or loopback HTTP. Wrapping the same
 * executor twice (a second engine on another channel) keeps the first wrap.
 */
export function requireSignedMetadata(
  executor: FeedExecutor,
  publicKeys: readonly string[],
  log: (line: string) => void,
): void {
  if (wrapped.has(executor)) return;
  wrapped.add(executor);
  const plain = executor.request.bind(executor);
  executor.request = async (options, cancellationToken, data) => {
    const url = requestUrl(options);
    const insecure = feedUrlProblem(url.href);
    if (insecure) throw updateError(ERR_UPDATE_FEED_INSECURE, insecure);
    const fileName = lastSegment(url);
    if (!fileName.toLowerCase().endsWith('.yml')) return plain(options, cancellationToken, data);
    const signatureOptions: FeedRequestOptions = {
      ...options,
      headers: options.headers ? { ...options.headers } : options.headers,
      path: `${url.pathname}.sig${url.search}`,
    };
    const content = await plain(options, cancellationToken, data);
    let signature: string | null | undefined;
    try {
      signature = await plain(signatureOptions, cancellationToken);
    } catch (err) {
      // A feed without the signature file is refused like one with a wrong signature.
      if (!isNotFound(err)) throw err;
      signature = null;
    }
    // Ed25519 (@noble/curves) loads with the first check, not with the app: with updates off, never.
    const { updateMetadataProblem, signatureFileName } =
      await import('../crypto/update-metadata-signature.js');
    // The executor decodes the body as UTF-8: bytes that are not UTF-8 come back altered, and fail.
    const problem = updateMetadataProblem(
      fileName,
      Buffer.from(content ?? '', 'utf8'),
      signature,
      publicKeys,
    );
    if (problem) {
      log(`updater: ${url.origin}${url.pathname} refused: ${problem}`);
      throw updateError(ERR_UPDATE_METADATA_SIGNATURE, problem);
    }
    log(`updater: ${fileName} verified with the update signing key (${signatureFileName(fileName)})`);
    return content;
  };
}
