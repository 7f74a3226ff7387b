/**
 * describeCertificate keeps what it read by the certificate's bytes (a browser's connections
 * send the same chain again and again): the same bytes give the same answer, other bytes never
 * get a cached one, and the bounded cache stays right past its size. openssl is the oracle.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeCertificate } from '../../../shared/tls';
import { tempDir } from '../wire/oracle/oracle';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const dir = tempDir('x509-cache-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A self-signed certificate made by openssl, with what openssl says of it. */
function makeCertificate(name: string): { der: Uint8Array; serial: string; sans: string[]; subject: string } {
  const pem = path.join(dir, `${name}.pem`);
  const der = path.join(dir, `${name}.der`);
  const run = (args: string[]) => {
    const result = spawnSync('openssl', args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-keyout', path.join(dir, `${name}.key`), '-out', pem, '-subj', `/O=Cache Test/CN=${name}.test`, '-addext', `subjectAltName=DNS:${name}.test,DNS:www.${name}.test`]);
  run(['x509', '-in', pem, '-outform', 'der', '-out', der]);
  const serial = /serial=([0-9A-F]+)/.exec(run(['x509', '-in', pem, '-noout', '-serial']))![1].toLowerCase();
  const sans = [...run(['x509', '-in', pem, '-noout', '-ext', 'subjectAltName']).matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1]);
  // openssl's one-line form, "O = Lab, CN = x", which ours follows without the spaces around '='.
  const subject = /subject=(.*)/.exec(run(['x509', '-in', pem, '-noout', '-subject']))![1].replace(/ = /g, '=');
  return { der: new Uint8Array(readFileSync(der)), serial, sans, subject };
}

/** The certificate with its serial number's last byte set to `value` (a different certificate of the same length). */
function withSerialByte(der: Uint8Array, serial: string, value: number): Uint8Array {
  const serialBytes = Uint8Array.from(serial.match(/../g)!.map((b) => parseInt(b, 16)));
  let at = -1;
  for (let i = 0; i + serialBytes.length <= der.length && at < 0; i++) if (serialBytes.every((b, j) => der[i + j] === b)) at = i;
  const copy = der.slice();
  copy[at + serialBytes.length - 1] = value;
  return copy;
}

describe.skipIf(!hasOpenssl)('certificate reading, cached by bytes (openssl as the oracle)', () => {
  it('the same certificate in two connections reads the same; a different one is never given its answer', () => {
    const a = makeCertificate('alpha');
    const b = makeCertificate('beta');
    const first = describeCertificate(a.der);
    const again = describeCertificate(a.der.slice()); // another connection's copy of the bytes
    for (const info of [first, again]) {
      expect(info.error).toBeUndefined();
      expect(info.subject).toBe(a.subject);
      expect(info.san).toEqual(a.sans);
      expect(info.serialNumber).toBe(a.serial);
    }
    const other = describeCertificate(b.der);
    expect(other.subject).toBe(b.subject);
    expect(other.subject).not.toBe(first.subject);
    expect(other.san).toEqual(b.sans);
    expect(other.serialNumber).toBe(b.serial);
    // Same length, one byte apart from a cached certificate.
    const last = parseInt(a.serial.slice(-2), 16);
    const near = describeCertificate(withSerialByte(a.der, a.serial, last ^ 0x01));
    expect(near.serialNumber).toBe(a.serial.slice(0, -2) + (last ^ 0x01).toString(16).padStart(2, '0'));
    expect(near.subject).toBe(first.subject);
    // Damaged bytes say so, and do not disturb the cached reading.
    expect(describeCertificate(a.der.subarray(0, 40)).error).toMatch(/does not parse/);
    expect(describeCertificate(a.der).serialNumber).toBe(a.serial);
  });

  it('stays right past the cache size: every variant reads as its own bytes say', () => {
    const c = makeCertificate('gamma');
    const prefix = c.serial.slice(0, -2);
    const seen: string[] = [];
    // 600 different certificates (more than the cache holds), then the first ones again.
    for (let round = 0; round < 2; round++) {
      for (let n = 0; n < 600; n++) {
        const value = n & 0xff;
        const variant = withSerialByte(c.der, c.serial, value);
        variant[variant.length - 1] = n >> 8; // and a signature byte, so all 600 differ
        const serial = describeCertificate(variant).serialNumber;
        if (round === 0) seen.push(serial);
        else expect(serial).toBe(seen[n]);
        expect(serial).toBe(prefix + value.toString(16).padStart(2, '0'));
      }
    }
  });
});
