/**
 * A strict XML parser for the service definitions' tests (a launchd plist, a Windows task): any
 * well-formedness error or warning throws. @xmldom/xmldom is loaded untyped: its declarations pull the
 * DOM library into every test's types.
 */
import { createRequire } from 'node:module';

/** The part of a DOM node the tests read. */
export interface XmlNode {
  readonly nodeType: number;
  readonly nodeName: string;
  readonly textContent: string | null;
  readonly childNodes: ArrayLike<XmlNode>;
  getAttribute?(name: string): string | null;
}

export const ELEMENT_NODE = 1;
export const TEXT_NODE = 3;

interface Parser {
  parseFromString(
    xml: string,
    mime: string,
  ): { documentElement: XmlNode | null; childNodes: ArrayLike<XmlNode> };
}

const { DOMParser } = createRequire(import.meta.url)('@xmldom/xmldom') as {
  DOMParser: new (options: { errorHandler: Record<string, (msg: string) => void> }) => Parser;
};

/** The document's root element; throws on anything a strict XML parser would refuse. */
export function parseXmlStrictly(xml: string): XmlNode {
  const refuse = (msg: string) => {
    throw new Error(`not well-formed XML: ${msg}`);
  };
  // xmldom takes a bare & and control characters as text; XML 1.0 (and plutil, and schtasks) do not.
  const bare = /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.exec(xml);
  if (bare) refuse(`a bare & at ${bare.index}`);
  // eslint-disable-next-line no-control-regex -- the characters XML 1.0 does not allow
  const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.exec(xml);
  if (control) refuse(`control character ${control[0].charCodeAt(0)} at ${control.index}`);
  const doc = new DOMParser({
    errorHandler: { warning: refuse, error: refuse, fatalError: refuse },
  }).parseFromString(xml, 'text/xml');
  if (!doc.documentElement) throw new Error('no root element');
  return doc.documentElement;
}

/** The element children of a node. */
export const elements = (node: XmlNode): XmlNode[] =>
  Array.from(node.childNodes).filter((n) => n.nodeType === ELEMENT_NODE);

/** Text between elements must be whitespace only (plist and task XML hold no mixed content). */
export function assertNoMixedText(node: XmlNode): void {
  for (const n of Array.from(node.childNodes))
    if (n.nodeType === TEXT_NODE && (n.textContent ?? '').trim() !== '')
      throw new Error(`text ${JSON.stringify(n.textContent)} beside elements in <${node.nodeName}>`);
}
