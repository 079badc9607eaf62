import { strict as assert } from 'node:assert';
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { describe, it } from 'node:test';
import { isClawError } from '../../../src-main/core/errors.js';
import { fingerprintOfCert, signIdentity, verifyIdentity } from '../../../src-main/crypto/signature.js';
import {
  generateIdentity,
  IDENTITY_VALIDITY_YEARS,
  loadIdentity,
} from '../../../src-main/crypto/identity.js';

const YEAR_MS = 365.25 * 24 * 60 * 60 * 1000;

describe('generateIdentity', () => {
  it('makes a P-256 self-signed certificate whose fingerprint is SHA-256 of its DER', async () => {
    const id = await generateIdentity();
    const cert = new X509Certificate(id.certPem);
    assert.equal(cert.subject, 'CN=clawbridge node');
    assert.equal(cert.issuer, cert.subject);
    assert.ok(cert.verify(cert.publicKey), 'self-signed');
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.deepEqual(id.certDer, new Uint8Array(cert.raw));
    assert.equal(id.fingerprint, createHash('sha256').update(cert.raw).digest('hex'));
    assert.match(id.fingerprint, /^[0-9a-f]{64}$/);
    assert.match(id.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(cert.ca, false);
  });

  it('is valid now and for about 20 years', async () => {
    const cert = new X509Certificate((await generateIdentity()).certPem);
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    assert.ok(from <= Date.now(), 'already valid');
    assert.ok(to - Date.now() > (IDENTITY_VALIDITY_YEARS - 0.1) * YEAR_MS, `valid until ${cert.validTo}`);
  });

  it('uses a fresh random positive serial and key each time', async () => {
    const [a, b] = await Promise.all([generateIdentity(), generateIdentity()]);
    assert.notEqual(a.fingerprint, b.fingerprint);
    const serialA = new X509Certificate(a.certPem).serialNumber;
    assert.notEqual(serialA, new X509Certificate(b.certPem).serialNumber);
    assert.ok(parseInt(serialA.slice(0, 2), 16) < 0x80, 'positive DER integer');
  });

  it('keeps a hostile common name inside the CN attribute', async () => {
    const cert = new X509Certificate((await generateIdentity('x, CN=evil')).certPem);
    assert.equal(cert.subject.split('\n').length, 1);
    assert.match(cert.subject, /^CN=x\\, CN=evil$/);
  });

  it('refuses an empty or overlong common name', async () => {
    await assert.rejects(generateIdentity(''), (e) => isClawError(e, 'BAD_ARGUMENT'));
    await assert.rejects(generateIdentity('n'.repeat(65)), /1 to 64 characters, got 65/);
  });

  it('signs with the identity key so signature.ts verifies against the certificate', async () => {
    const id = await generateIdentity();
    const data = new Uint8Array([1, 2, 3]);
    assert.ok(
      verifyIdentity(id.certDer, 'test', data, signIdentity(id.keyPem, 'test', data)),
      "verifyIdentity(id.certDer, 'test', data, signIdentity(id.keyPem, 'test', data))",
    );
    assert.equal(fingerprintOfCert(id.certDer), id.fingerprint);
  });
});

describe('loadIdentity', () => {
  it('round-trips a generated identity', async () => {
    const id = await generateIdentity('round trip');
    const loaded = loadIdentity(id.certPem, id.keyPem);
    assert.equal(loaded.fingerprint, id.fingerprint);
    assert.deepEqual(loaded.certDer, id.certDer);
  });

  it('refuses a key that does not match the certificate', async () => {
    const [a, b] = await Promise.all([generateIdentity(), generateIdentity()]);
    assert.throws(
      () => loadIdentity(a.certPem, b.keyPem),
      (e) => isClawError(e, 'IDENTITY_INVALID') && /does not match its certificate/.test(e.message),
    );
  });

  it('refuses unreadable PEM and non-P-256 keys with a clear line', async () => {
    const id = await generateIdentity();
    assert.throws(() => loadIdentity('not a cert', id.keyPem), /certificate is not a readable X\.509/);
    assert.throws(() => loadIdentity(id.certPem, 'garbage'), /private key is not a readable PEM key/);
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    assert.throws(
      () => loadIdentity(id.certPem, ed),
      (e) => isClawError(e, 'IDENTITY_INVALID') && /got ed25519/.test(e.message),
    );
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    assert.throws(() => loadIdentity(id.certPem, p384), /must be ECDSA P-256, got ec secp384r1/);
  });
});

describe('identity with node:tls', () => {
  it('works as both ends of TLS 1.3 with client certificates; peer fingerprints match', async (t) => {
    const [server, client] = await Promise.all([generateIdentity('server'), generateIdentity('client')]);
    const seenByServer: string[] = [];
    const tls = createServer(
      {
        cert: server.certPem,
        key: server.keyPem,
        requestCert: true,
        rejectUnauthorized: false, // self-signed: the fingerprint pin is the trust decision
        minVersion: 'TLSv1.3',
      },
      (socket: TLSSocket) => {
        seenByServer.push(fingerprintOfCert(socket.getPeerCertificate().raw));
        socket.end('hi');
      },
    );
    tls.listen(0, '127.0.0.1');
    await once(tls, 'listening');
    t.after(() => tls.close());
    const address = tls.address();
    assert.ok(address && typeof address === 'object', "address && typeof address === 'object'");
    const socket = connect({
      host: '127.0.0.1',
      port: address.port,
      cert: client.certPem,
      key: client.keyPem,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.3',
    });
    t.after(() => socket.destroy());
    await once(socket, 'secureConnect');
    assert.equal(socket.getProtocol(), 'TLSv1.3');
    assert.equal(fingerprintOfCert(socket.getPeerCertificate().raw), server.fingerprint);
    const [data] = (await once(socket, 'data')) as [Buffer];
    assert.equal(data.toString(), 'hi');
    assert.deepEqual(seenByServer, [client.fingerprint]);
  });
});
