/**
 * The UPnP readers, on bytes a router or any LAN host might send: the SSDP answer (size cap, status,
 * LOCATION), where a LOCATION may be fetched (http:, on the responder, on the LAN), the WAN service's
 * controlURL in a description (and that it stays on the description's host and port), the SOAP answer
 * (fields, UPnP errors), the escaping of what is sent, and which external addresses are public.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wanServiceFrom } from '../../../../src-main/transport/nat/igd-description.js';
import { isLanAddress, notPublicReason } from '../../../../src-main/transport/nat/lan-address.js';
import {
  descriptionUrl,
  parseSsdpAnswer,
  SSDP_ANSWER_LIMIT_BYTES,
} from '../../../../src-main/transport/nat/ssdp.js';
import {
  portField,
  readSoapAnswer,
  soapEnvelope,
  soapField,
} from '../../../../src-main/transport/nat/upnp-soap.js';
import { igdDescription, ssdpAnswer } from '../../../helpers/fake-router.js';

test('an SSDP answer: LOCATION, ST and USN, headers in any case', () => {
  assert.deepEqual(parseSsdpAnswer(ssdpAnswer('http://192.168.1.1:5000/rootDesc.xml', 'uuid:x')), {
    location: 'http://192.168.1.1:5000/rootDesc.xml',
    st: 'urn:schemas-upnp-org:device:InternetGatewayDevice:2',
    usn: 'uuid:x',
  });
  const lower = Buffer.from('HTTP/1.1 200 OK\r\nlocation: http://10.0.0.1/d.xml\r\n\r\n');
  assert.equal((parseSsdpAnswer(lower) as { location: string }).location, 'http://10.0.0.1/d.xml');
});

test('an SSDP datagram that is not an answer with a LOCATION is dropped', () => {
  for (const text of [
    '',
    'M-SEARCH * HTTP/1.1\r\nLOCATION: http://192.168.1.1/\r\n\r\n',
    'HTTP/1.1 404 Not Found\r\nLOCATION: http://192.168.1.1/\r\n\r\n',
    'HTTP/1.1 200 OK\r\nST: x\r\n\r\n',
    'HTTP/1.1 200 OK\r\nLOCATION:\r\n\r\n',
    '\u0000\u0001\u0002',
  ])
    assert.ok('drop' in parseSsdpAnswer(Buffer.from(text)), JSON.stringify(text));
  const huge = Buffer.concat([ssdpAnswer('http://192.168.1.1/d.xml'), Buffer.alloc(SSDP_ANSWER_LIMIT_BYTES)]);
  assert.ok('drop' in parseSsdpAnswer(huge), "'drop' in parseSsdpAnswer(huge)");
});

test('a LOCATION is fetched only over http:, from the responder itself, on the LAN', () => {
  const ok = descriptionUrl('http://192.168.1.1:5000/rootDesc.xml', '192.168.1.1');
  assert.ok(
    ok instanceof URL && ok.href === 'http://192.168.1.1:5000/rootDesc.xml',
    "ok instanceof URL && ok.href === 'http://192.168.1.1:5000/rootDesc.xml'",
  );
  for (const [location, responder] of [
    ['http://127.0.0.1:8080/internal-admin', '192.168.1.66'],
    ['http://127.0.0.1:8080/internal-admin', '127.0.0.1'],
    ['http://192.168.1.1:5000/d.xml', '192.168.1.66'],
    ['http://11.0.0.1/d.xml', '11.0.0.1'],
    ['http://169.254.1.1/d.xml', '169.254.1.1'],
    ['http://router.local/d.xml', '192.168.1.1'],
    ['https://192.168.1.1/d.xml', '192.168.1.1'],
    ['file:///etc/passwd', '192.168.1.1'],
    ['http://user:pw@192.168.1.1/d.xml', '192.168.1.1'],
    ['not a url', '192.168.1.1'],
  ])
    assert.ok('drop' in descriptionUrl(location!, responder!), location);
});

const LOCATION = new URL('http://192.168.1.1:5000/rootDesc.xml');

test('the WAN service: IGD v2 preferred, its controlURL resolved against LOCATION', () => {
  const v1 = igdDescription('urn:schemas-upnp-org:service:WANIPConnection:1', '/ctl/IPConn');
  const s = wanServiceFrom(v1, LOCATION);
  assert.ok(!('drop' in s), "!('drop' in s)");
  assert.equal(s.serviceType, 'urn:schemas-upnp-org:service:WANIPConnection:1');
  assert.equal(s.controlUrl.href, 'http://192.168.1.1:5000/ctl/IPConn');
  const both =
    igdDescription('urn:schemas-upnp-org:service:WANPPPConnection:1', '/ppp') +
    igdDescription(
      'urn:schemas-upnp-org:service:WANIPConnection:2',
      'http://192.168.1.1:5000/ip2?a=1&amp;b=2',
    );
  const best = wanServiceFrom(both, LOCATION);
  assert.ok(!('drop' in best), "!('drop' in best)");
  assert.equal(best.serviceType, 'urn:schemas-upnp-org:service:WANIPConnection:2');
  assert.equal(best.controlUrl.href, 'http://192.168.1.1:5000/ip2?a=1&b=2');
});

test('a controlURL elsewhere, or none, is no service', () => {
  const type = 'urn:schemas-upnp-org:service:WANIPConnection:2';
  for (const control of [
    'http://127.0.0.1:5000/ctl',
    'http://192.168.1.1:22/ctl',
    'http://192.168.1.2:5000/ctl',
    'https://192.168.1.1:5000/ctl',
    '//127.0.0.1/ctl',
    'http://x@192.168.1.1:5000/ctl',
  ])
    assert.ok('drop' in wanServiceFrom(igdDescription(type, control), LOCATION), control);
  for (const xml of [
    '',
    '<root>',
    igdDescription('urn:schemas-upnp-org:service:Layer3Forwarding:1', '/l3f'),
    '<service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:2</serviceType></service>',
    `<serviceType>${type}</serviceType><controlURL>/ctl`,
  ])
    assert.ok('drop' in wanServiceFrom(xml, LOCATION), xml.slice(0, 60));
});

test('SOAP: a request escapes what it carries; an answer yields its fields or the UPnP error', () => {
  const env = soapEnvelope('urn:x', 'AddPortMapping', [['NewPortMappingDescription', '</x><evil>&']]);
  assert.ok(
    env.includes('<NewPortMappingDescription>&#60;/x&#62;&#60;evil&#62;&#38;</NewPortMappingDescription>'),
    "env.includes('<NewPortMappingDescription>&#60;/x&#62;&#60;evil&#62;&#38;</NewPortMappingDescription>')",
  );
  const ok = `<s:Envelope><s:Body><u:GetExternalIPAddressResponse xmlns:u="urn:x">
    <NewExternalIPAddress> 11.1.0.2 </NewExternalIPAddress></u:GetExternalIPAddressResponse></s:Body></s:Envelope>`;
  const answer = readSoapAnswer(200, ok, 'GetExternalIPAddress');
  assert.ok(answer.ok, 'answer.ok');
  assert.equal(soapField(ok, 'NewExternalIPAddress'), '11.1.0.2');
  assert.equal(readSoapAnswer(200, '<html>hi</html>', 'GetExternalIPAddress').ok, false);
  const fault = `<s:Envelope><s:Body><s:Fault><detail><UPnPError><errorCode>718</errorCode>
    <errorDescription>ConflictInMappingEntry</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>`;
  assert.deepEqual(readSoapAnswer(500, fault, 'AddPortMapping'), {
    ok: false,
    message: 'AddPortMapping: the router refused, UPnP error 718 (ConflictInMappingEntry)',
  });
  assert.deepEqual(readSoapAnswer(503, '', 'AddPortMapping'), {
    ok: false,
    message: 'AddPortMapping: HTTP 503',
  });
  assert.equal(portField('<NewReservedPort>40022</NewReservedPort>', 'NewReservedPort'), 40022);
  for (const bad of ['0', '65536', '-1', '22x', '', '9'.repeat(300)])
    assert.equal(portField(`<NewReservedPort>${bad}</NewReservedPort>`, 'NewReservedPort'), undefined, bad);
});

test('LAN addresses are private ranges; only a public unicast address is announced', () => {
  for (const a of ['192.168.1.1', '10.0.0.1', '172.16.5.4']) assert.ok(isLanAddress(a), a);
  for (const a of ['127.0.0.1', '169.254.1.1', '11.0.0.1', '172.32.0.1', '::1', 'localhost', ''])
    assert.ok(!isLanAddress(a), a);
  for (const a of ['11.1.0.2', '8.8.8.8', '203.0.114.1']) assert.equal(notPublicReason(a), undefined, a);
  for (const a of [
    '127.0.0.1',
    '0.0.0.0',
    '10.1.2.3',
    '192.168.0.1',
    '100.64.0.1',
    '169.254.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '240.0.0.1',
    '',
    '::1',
    'x',
  ])
    assert.ok(notPublicReason(a), a);
});
