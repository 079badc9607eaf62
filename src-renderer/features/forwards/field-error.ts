/**
 * Which form field an API error is about, so the message shows beside that field. The agent names the
 * parameter (`invalid parameters for forward.add: local: …`) or quotes the value it refused; a code
 * like ADDRESS_IN_USE says it by itself. Pure, so it is unit-tested; anything unrecognised goes to the
 * form as a whole.
 */
export type ForwardField = 'local' | 'via' | 'remote' | 'name' | 'form';

export interface ForwardValues {
  local: string;
  via: string;
  remote: string;
  name: string;
}

export function fieldOfError(code: string | undefined, message: string, values: ForwardValues): ForwardField {
  if (code === 'ADDRESS_IN_USE') return 'local';
  if (code === 'PEER_NOT_FOUND' || code === 'UNKNOWN_PEER') return 'via';
  const named = /(?:^|: )(local|via|remote|name)\b/.exec(message);
  if (named) return named[1] as ForwardField;
  if (/^remote\b|\bremote '/.test(message)) return 'remote';
  if (/cannot listen on|already in use|is not a loopback address/.test(message)) return 'local';
  if (/named '.*' already exists/.test(message)) return 'name';
  const quoted = (v: string) => v.trim() !== '' && message.includes(`'${v.trim()}'`);
  if (quoted(values.local)) return 'local';
  if (quoted(values.remote)) return 'remote';
  return 'form';
}

/** The form's own words for each required field left empty. */
export const MISSING_TEXT = {
  local: 'Enter a port (8080) or an address (127.0.0.1:8080).',
  remote: 'Enter the address as the peer sees it, e.g. 127.0.0.1:80.',
} as const;

/**
 * Every required field left empty, each with what to enter, so one submit flags them all (not one per
 * try). The remote address is required for a TCP forward only: a proxy's client chooses it.
 */
export function missingFields(
  kind: 'tcp' | 'socks' | 'http',
  values: ForwardValues,
): Partial<Record<ForwardField, string>> {
  const out: Partial<Record<ForwardField, string>> = {};
  if (values.local.trim() === '') out.local = MISSING_TEXT.local;
  if (kind === 'tcp' && values.remote.trim() === '') out.remote = MISSING_TEXT.remote;
  return out;
}
