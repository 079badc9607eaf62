/**
 * The three UPnP IGD actions a port mapping needs (AddPortMapping or IGD v2's AddAnyPortMapping,
 * GetExternalIPAddress, DeletePortMapping) as SOAP over bounded-http.ts: the request built with every
 * argument escaped, the answer read by a strict scan for the few fields wanted, capped and deadlined.
 */
import { boundedHttp } from './bounded-http.js';
import type { WanService } from './igd-description.js';

/** The longest field value read from an answer, in characters. */
const FIELD_LIMIT = 256;

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function soapEnvelope(
  serviceType: string,
  action: string,
  args: readonly (readonly [string, string | number])[],
): string {
  const body = args.map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`).join('');
  return (
    '<?xml version="1.0"?>\r\n' +
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" ' +
    's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
    `<s:Body><u:${action} xmlns:u="${escapeXml(serviceType)}">${body}</u:${action}></s:Body></s:Envelope>\r\n`
  );
}

/** The text of `<name>` (any namespace prefix) in `xml`, or undefined. Pure; linear; never throws. */
export function soapField(xml: string, name: string): string | undefined {
  const m = new RegExp(
    `<(?:[A-Za-z_][\\w.-]{0,32}:)?${name}>([^<]{0,${FIELD_LIMIT}})</(?:[A-Za-z_][\\w.-]{0,32}:)?${name}>`,
  ).exec(xml);
  return m ? m[1]!.trim() : undefined;
}

/**
 * What an answer says: its fields when the action succeeded, or an error that names the UPnP error code
 * when the router refused. Pure; never throws.
 */
export function readSoapAnswer(
  status: number,
  body: string,
  action: string,
): { ok: true; body: string } | { ok: false; message: string } {
  if (status === 200) {
    if (!new RegExp(`<(?:[A-Za-z_][\\w.-]{0,32}:)?${action}Response[\\s>/]`).test(body))
      return { ok: false, message: `${action}: the answer has no ${action}Response` };
    return { ok: true, body };
  }
  const code = soapField(body, 'errorCode');
  const description = soapField(body, 'errorDescription');
  if (code && /^\d{1,4}$/.test(code))
    return {
      ok: false,
      message: `${action}: the router refused, UPnP error ${code}${description ? ` (${description})` : ''}`,
    };
  return { ok: false, message: `${action}: HTTP ${status}` };
}

/** Runs `action` on the router's WAN service; resolves with the answer's body, or rejects with why. */
export async function soapAction(
  service: WanService,
  action: string,
  args: readonly (readonly [string, string | number])[],
  signal: AbortSignal,
  timeoutMs: number,
): Promise<string> {
  const res = await boundedHttp({
    url: service.controlUrl,
    method: 'POST',
    headers: {
      'content-type': 'text/xml; charset="utf-8"',
      soapaction: `"${service.serviceType}#${action}"`,
    },
    body: soapEnvelope(service.serviceType, action, args),
    signal,
    timeoutMs,
  });
  const answer = readSoapAnswer(res.status, res.body, action);
  if (!answer.ok) throw new Error(answer.message);
  return answer.body;
}

/** A port number field (1–65535), or undefined. */
export function portField(xml: string, name: string): number | undefined {
  const text = soapField(xml, name);
  if (!text || !/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}
