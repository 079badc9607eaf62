/**
 * The one thing read from an Internet Gateway Device's description: the control URL of its WAN
 * connection service. Read by a strict scan (no XML library, no entity expansion, no recursion), linear
 * in the size of the text, which bounded-http.ts has already capped; the URL must stay on the host and
 * port the description came from.
 */

/** The services that map ports, best first (IGD v2's adds AddAnyPortMapping). */
export const WAN_SERVICE_TYPES = [
  'urn:schemas-upnp-org:service:WANIPConnection:2',
  'urn:schemas-upnp-org:service:WANIPConnection:1',
  'urn:schemas-upnp-org:service:WANPPPConnection:1',
] as const;

export type WanServiceType = (typeof WAN_SERVICE_TYPES)[number];

export interface WanService {
  serviceType: WanServiceType;
  controlUrl: URL;
}

/** The longest element text read, in characters (a URL or a service type is far shorter). */
const ELEMENT_TEXT_LIMIT = 1024;

/** `&amp;` and the other predefined entities; nothing else is expanded. */
function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) =>
    e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : "'",
  );
}

/** The text of the first `<tag>…</tag>` in `xml` between `from` and `to`, trimmed, or undefined. */
function elementText(xml: string, tag: string, from: number, to: number): string | undefined {
  const open = xml.indexOf(`<${tag}>`, from);
  if (open < 0 || open >= to) return undefined;
  const start = open + tag.length + 2;
  const close = xml.indexOf(`</${tag}>`, start);
  if (close < 0 || close > to || close - start > ELEMENT_TEXT_LIMIT) return undefined;
  return unescapeXml(xml.slice(start, close).trim());
}

/**
 * The best WAN connection service in `xml` with its control URL resolved against `location`, or why
 * there is none. Pure; never throws.
 */
export function wanServiceFrom(xml: string, location: URL): WanService | { drop: string } {
  const found = new Map<WanServiceType, string>();
  for (let at = xml.indexOf('<serviceType>'); at >= 0; at = xml.indexOf('<serviceType>', at + 1)) {
    const end = xml.indexOf('</service>', at);
    if (end < 0) break;
    const type = elementText(xml, 'serviceType', at, end) as WanServiceType | undefined;
    if (!type || !WAN_SERVICE_TYPES.includes(type) || found.has(type)) continue;
    const control = elementText(xml, 'controlURL', at, end);
    if (control) found.set(type, control);
  }
  const serviceType = WAN_SERVICE_TYPES.find((t) => found.has(t));
  if (!serviceType) return { drop: 'no WANIPConnection or WANPPPConnection service with a controlURL' };
  let controlUrl: URL;
  try {
    controlUrl = new URL(found.get(serviceType)!, location);
  } catch {
    return { drop: 'the controlURL is not a URL' };
  }
  if (
    controlUrl.protocol !== 'http:' ||
    controlUrl.host !== location.host ||
    controlUrl.username ||
    controlUrl.password
  )
    return { drop: `the controlURL leaves ${location.host}` };
  return { serviceType, controlUrl };
}
