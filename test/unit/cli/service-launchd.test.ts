/**
 * The launchd agent `clawbridge service install` writes on macOS (src-main/cli/service-launchd.ts),
 * read back with a strict XML parser and plist(5)'s rules (what `plutil -lint` checks: one value in
 * <plist version="1.0">, dicts of unique keys each followed by one value, typed scalars) and
 * launchd.plist(5)'s types for each key it sets: the command line given, word for word; restarted after
 * a failure; output to the home's log folder.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchdLabel, launchdPlist } from '../../../src-main/cli/service-launchd.js';
import {
  serviceArgv,
  serviceLogPath,
  serviceName,
  SERVICE_OPEN_FILES,
  type ServiceSpec,
} from '../../../src-main/cli/service-spec.js';
import { assertNoMixedText, elements, parseXmlStrictly, type XmlNode } from '../../helpers/strict-xml.js';

type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

/** A plist value by plist(5)'s rules; throws where `plutil -lint` would report an error. */
function plistValue(node: XmlNode): PlistValue {
  const text = node.textContent ?? '';
  switch (node.nodeName) {
    case 'string':
      if (elements(node).length) throw new Error('<string> holds elements');
      return text;
    case 'integer':
      if (!/^[+-]?\d+$/.test(text)) throw new Error(`<integer>${text}</integer>`);
      return Number(text);
    case 'true':
    case 'false':
      if (node.childNodes.length) throw new Error(`<${node.nodeName}/> is not empty`);
      return node.nodeName === 'true';
    case 'array':
      assertNoMixedText(node);
      return elements(node).map(plistValue);
    case 'dict': {
      assertNoMixedText(node);
      const children = elements(node);
      if (children.length % 2) throw new Error('a <dict> key without a value');
      const out: Record<string, PlistValue> = {};
      for (let i = 0; i < children.length; i += 2) {
        const key = children[i]!;
        if (key.nodeName !== 'key') throw new Error(`<${key.nodeName}> where a <key> belongs`);
        const name = key.textContent ?? '';
        if (Object.hasOwn(out, name)) throw new Error(`key ${name} twice`);
        out[name] = plistValue(children[i + 1]!);
      }
      return out;
    }
    default:
      throw new Error(`<${node.nodeName}> is no plist value this test knows`);
  }
}

function readPlist(xml: string): Record<string, PlistValue> {
  assert.ok(
    xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist'),
    'XML declaration and DOCTYPE first',
  );
  const root = parseXmlStrictly(xml);
  assert.equal(root.nodeName, 'plist', 'the root is <plist>');
  assert.equal(root.getAttribute?.('version'), '1.0', 'plist version 1.0');
  assertNoMixedText(root);
  const [top, ...more] = elements(root);
  assert.equal(more.length, 0, 'one value in <plist>');
  const value = plistValue(top!);
  assert.ok(typeof value === 'object' && !Array.isArray(value), 'the value is a dict');
  return value;
}

/** launchd.plist(5): each key the agent sets, with the type launchd reads it as. */
const LAUNCHD_KEYS: Readonly<Record<string, (v: PlistValue) => boolean>> = {
  Label: (v) => typeof v === 'string' && /^[A-Za-z0-9.-]+$/.test(v),
  ProgramArguments: (v) => Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === 'string'),
  RunAtLoad: (v) => typeof v === 'boolean',
  KeepAlive: (v) =>
    typeof v === 'boolean' ||
    (typeof v === 'object' && !Array.isArray(v) && typeof v.SuccessfulExit === 'boolean'),
  ThrottleInterval: (v) => Number.isInteger(v),
  ProcessType: (v) => ['Background', 'Standard', 'Adaptive', 'Interactive'].includes(v as string),
  SoftResourceLimits: (v) => typeof v === 'object' && !Array.isArray(v) && Number.isInteger(v.NumberOfFiles),
  StandardOutPath: (v) => typeof v === 'string' && v.startsWith('/'),
  StandardErrorPath: (v) => typeof v === 'string' && v.startsWith('/'),
};

const spec: ServiceSpec = {
  kind: 'agent',
  home: '/Users/o\'brien/Library/Application Support/Clawbridge & <co> ]]> "x"',
  node: '/opt/homebrew/bin/node',
  script: '/opt/homebrew/lib/node_modules/clawbridge/bin/clawbridge.js',
  nodeArgs: [],
  flags: ['--name', 'Ünïcødé 🖥 <mac>', '--relay', 'wss://r.example/?a=1&b=2'],
};

test('the plist follows plist(5), sets each launchd key with its type, and runs the command line word for word', () => {
  for (const kind of ['agent', 'relay'] as const) {
    const s = { ...spec, kind };
    const name = serviceName(kind, s.home);
    const plist = readPlist(launchdPlist(s, name));
    for (const [key, value] of Object.entries(plist)) {
      const check = LAUNCHD_KEYS[key];
      assert.ok(check, `${key} is a launchd key this agent means to set`);
      assert.ok(check(value), `${key} has launchd's type: ${JSON.stringify(value)}`);
    }
    assert.equal(plist.Label, launchdLabel(name), 'labelled by the service name');
    assert.deepEqual(plist.ProgramArguments, serviceArgv(s), 'the command line, word for word');
    assert.equal(plist.RunAtLoad, true, 'started at login');
    assert.deepEqual(
      plist.KeepAlive,
      { SuccessfulExit: false },
      'started again after a failure, not after a clean stop',
    );
    assert.deepEqual(
      plist.SoftResourceLimits,
      { NumberOfFiles: SERVICE_OPEN_FILES },
      'the open files a relay needs',
    );
    assert.equal(plist.StandardOutPath, serviceLogPath(s.home), "output to the home's log folder");
    assert.equal(plist.StandardErrorPath, serviceLogPath(s.home), 'errors there too');
  }
});

test('the checker has teeth: a dict key without a value, a key twice, and unescaped & are refused', () => {
  const good = launchdPlist(spec, serviceName('agent', spec.home));
  assert.throws(
    () => readPlist(good.replace('  <key>RunAtLoad</key>\n  <true/>\n', '  <key>RunAtLoad</key>\n')),
    /key|value|<key>/,
  );
  assert.throws(() => readPlist(good.replace('<key>RunAtLoad</key>', '<key>Label</key>')), /twice/);
  assert.throws(() => readPlist(good.replace('&amp;', '&')), /well-formed/);
});
