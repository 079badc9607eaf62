/**
 * Reading the server name of a ClientHello from a connection's first bytes (protocol/tls-client-hello.ts):
 * a hello Node's TLS sent (known answer), hellos built field by field (properties: any extensions
 * around server_name, any cut of the bytes), and every malformed shape, which names no server and
 * never throws.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  readClientHelloServerName,
  TLS_MAX_PLAINTEXT,
  TLS_RECORD_HEADER_BYTES,
} from '../../../src-main/protocol/tls-client-hello.js';
import { mutate, mutation } from '../../helpers/byte-mutations.js';
import {
  extension,
  helloMessage,
  record,
  serverNameExtension,
  u16,
  u24,
  vec,
  type Hello,
} from '../../helpers/client-hello.js';

/**
 * The first record of a tls.connect() of Node 20 (OpenSSL 3) with `servername` set to a splice name
 * (protocol/relay-splice.ts), as the relay's port received it.
 */
const NODE_HELLO = Buffer.from(
  '16030101bc010001b80303a3ed95937bf1573b3aabb2b6a5eaf8c6681b72026aa048faf72ce4c65ac9abe420fb791420' +
    '701116cd3604e2768d7c616fd5b1f9d325fb9bbea8691640acafb6800076130213031301c02fc02bc030c02c009ec027' +
    '0067c028006b00a3009fcca9cca8ccaac0afc0adc0a3c09fc05dc061c057c05300a2c0aec0acc0a2c09ec05cc060c056' +
    'c052c024006ac0230040c00ac01400390038c009c01300330032009dc0a1c09dc051009cc0a0c09cc050003d003c0035' +
    '002f00ff010000f900000060005e00005b30313233343536373839616263646566303132333435363738396162636465' +
    '662e30313233343536373839616263646566303132333435363738396162636465662e636c61776272696467652d7370' +
    '6c6963652e696e76616c6964000b000403000102000a00160014001d0017001e00190018010001010102010301040023' +
    '00000016000000170000000d002a0028040305030603080708080809080a080b08040805080604010501060103030301' +
    '0302040205020602002b00050403040303002d00020101003300260024001d00201b967ee7bf071c6e1c9a8af383c73f' +
    '3229ee94c6f8f60f01ee06b8f7a0273e73',
  'hex',
);
const NODE_NAME =
  '0123456789abcdef0123456789abcdef.0123456789abcdef0123456789abcdef.clawbridge-splice.invalid';

/** Extensions of any type but server_name (0), with any data. */
const otherExtension = fc
  .tuple(fc.integer({ min: 1, max: 0xffff }), fc.uint8Array({ maxLength: 40 }))
  .map(([type, data]) => extension(type, data));
const hostName = fc.stringMatching(/^[a-z0-9.-]{1,80}$/);
const hello: fc.Arbitrary<Hello> = fc.record({
  sessionId: fc.uint8Array({ maxLength: 32 }),
  suites: fc.uint8Array({ minLength: 2, maxLength: 40 }),
  before: fc.array(otherExtension, { maxLength: 4 }),
  name: fc.option(hostName, { nil: undefined }),
  after: fc.array(otherExtension, { maxLength: 4 }),
});

test("Node's own ClientHello: its server name, and the record's length", () => {
  assert.deepEqual(readClientHelloServerName(NODE_HELLO), {
    state: 'read',
    serverName: NODE_NAME,
    recordBytes: NODE_HELLO.length,
  });
  // What follows the record (the pipe's next bytes) changes nothing.
  const more = Buffer.concat([NODE_HELLO, Buffer.from('anything after')]);
  assert.deepEqual(readClientHelloServerName(more), readClientHelloServerName(NODE_HELLO));
});

test('every cut short of the whole first record is "more", with the bytes the answer needs', () => {
  for (let n = 0; n < NODE_HELLO.length; n++) {
    const bytes = n < TLS_RECORD_HEADER_BYTES ? TLS_RECORD_HEADER_BYTES : NODE_HELLO.length;
    assert.deepEqual(
      readClientHelloServerName(NODE_HELLO.subarray(0, n)),
      { state: 'more', bytes },
      `${n} bytes`,
    );
  }
});

test('a hello with any extensions around server_name reads that name; without one, none', () => {
  fc.assert(
    fc.property(hello, fc.uint8Array({ maxLength: 16 }), (h, after) => {
      const first = record(helloMessage(h));
      assert.deepEqual(readClientHelloServerName(Buffer.concat([first, after])), {
        state: 'read',
        serverName: h.name,
        recordBytes: first.length,
      });
    }),
  );
});

test('any mutation of a hello is read without throwing, and names the server only when whole', () => {
  fc.assert(
    fc.property(hello, mutation, (h, m) => {
      const original = record(helloMessage(h));
      const bytes = mutate(original, m);
      const read = readClientHelloServerName(bytes);
      if (read.state === 'more') return assert.ok(read.bytes > bytes.length, 'read.bytes > bytes.length');
      assert.ok(read.recordBytes <= bytes.length, 'never past the bytes it was given');
      // A name comes only from a whole handshake record, and an untouched hello keeps its own.
      if (read.serverName !== undefined)
        assert.ok(read.recordBytes > TLS_RECORD_HEADER_BYTES, 'read.recordBytes > TLS_RECORD_HEADER_BYTES');
      if (Buffer.from(bytes).equals(original)) assert.equal(read.serverName, h.name);
    }),
  );
});

test('not a handshake record, or a record over 2^14 bytes: read at once, no server name', () => {
  for (const head of [
    Buffer.of(0x17, 3, 3, 0, 10),
    Buffer.concat([Buffer.of(0x16, 3, 1), u16(TLS_MAX_PLAINTEXT + 1)]),
  ]) {
    assert.deepEqual(readClientHelloServerName(head), {
      state: 'read',
      serverName: undefined,
      recordBytes: TLS_RECORD_HEADER_BYTES,
    });
  }
});

test('malformed hellos name no server', () => {
  const base: Hello = {
    sessionId: Buffer.alloc(0),
    suites: Buffer.of(0x13, 1),
    before: [],
    name: 'a.example',
    after: [],
  };
  const message = helloMessage(base);
  const cases: [string, Buffer][] = [
    ['not a ClientHello (a ServerHello)', record(Buffer.concat([Buffer.of(2), message.subarray(1)]))],
    // The message claims more bytes than the record holds: it spans records, and only the first is read.
    [
      'a hello longer than its record',
      record(Buffer.concat([Buffer.of(1), u24(message.length + 100), message.subarray(4)])),
    ],
    ['server_name twice', record(helloMessage({ ...base, after: [serverNameExtension('b.example')] }))],
    ['an empty host name', record(helloMessage({ ...base, name: '' }))],
    [
      'a name type other than host_name',
      record(
        helloMessage({
          ...base,
          name: undefined,
          after: [extension(0, vec(2, Buffer.concat([Buffer.of(1), vec(2, Buffer.from('x'))])))],
        }),
      ),
    ],
    [
      'two names in the list',
      record(
        helloMessage({
          ...base,
          name: undefined,
          after: [
            extension(
              0,
              vec(
                2,
                Buffer.concat([
                  Buffer.of(0),
                  vec(2, Buffer.from('x')),
                  Buffer.of(0),
                  vec(2, Buffer.from('y')),
                ]),
              ),
            ),
          ],
        }),
      ),
    ],
    ['an extension cut short', record(Buffer.concat([message.subarray(0, message.length - 3)]))],
  ];
  for (const [what, bytes] of cases) {
    const read = readClientHelloServerName(bytes);
    assert.equal(read.state, 'read', what);
    assert.equal(read.state === 'read' && read.serverName, undefined, what);
  }
});
