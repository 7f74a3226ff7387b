/**
 * What a TLS Certificate message's certificates say, read with PeculiarVentures' ASN.1 X.509
 * schema (@peculiar/asn1-x509, the parser under @peculiar/x509; @peculiar/x509 itself needs a
 * reflect-metadata polyfill at load time, which the environment-neutral core cannot assume).
 * A certificate that does not parse gives an `error` entry instead of throwing.
 */
import { AsnParser } from '@peculiar/asn1-schema';
import { Certificate, SubjectAlternativeName, id_ce_subjectAltName, type Name } from '@peculiar/asn1-x509';

export interface CertificateInfo {
  /** RFC 4514-style, most significant first as printed by openssl: "CN=example, O=Lab". */
  subject: string;
  issuer: string;
  san: string[];
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
  /** Public key algorithm OID, with a short name when known ("rsaEncryption", "id-ecPublicKey"). */
  keyType: string;
  /** The EC curve or RSA modulus size, when read. */
  keyDetail: string | null;
  signatureAlgorithm: string;
  serialNumber: string;
  /** Each name attribute's value by the string type it was encoded with (Wireshark's `x509sat.*` fields). */
  stringFields: { field: string; value: string }[];
  error?: string;
}

const OID_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '1.2.840.113549.1.1.1': 'rsaEncryption',
  '1.2.840.10045.2.1': 'id-ecPublicKey',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
  '1.2.840.113549.1.1.10': 'rsassa-pss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.10045.3.1.7': 'prime256v1',
  '1.3.132.0.34': 'secp384r1',
  '1.3.132.0.35': 'secp521r1',
};

const oidName = (oid: string): string => OID_NAMES[oid] ?? oid;

/** Wireshark's x509sat field for each DirectoryString choice. */
const STRING_FIELDS = [
  ['utf8String', 'x509sat.uTF8String'],
  ['printableString', 'x509sat.printableString'],
  ['teletexString', 'x509sat.teletexString'],
  ['universalString', 'x509sat.universalString'],
  ['bmpString', 'x509sat.bmpString'],
  ['ia5String', 'x509sat.IA5String'],
] as const;

function nameText(name: Name, strings?: { field: string; value: string }[]): string {
  const parts: string[] = [];
  for (const rdn of name) {
    for (const attribute of rdn) {
      const value = attribute.value;
      let text: string | null = null;
      for (const [choice, field] of STRING_FIELDS) {
        const v = value[choice];
        if (typeof v === 'string') {
          text = v;
          strings?.push({ field, value: v });
          break;
        }
      }
      parts.push(`${oidName(attribute.type)}=${text ?? value.toString()}`);
    }
  }
  return parts.join(', ');
}

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Certificates already read, by their DER bytes: a browser's connections to one site send the
 * same chain each time, and reading one with asn1-schema costs 0.6-3 ms (67 ms for the first).
 * Keyed by a hash, confirmed byte for byte; bounded, oldest out first. The infos are shared, so
 * they are never changed after this returns them.
 */
const CACHE_LIMIT = 512;
const cache = new Map<number, { der: Uint8Array; info: CertificateInfo }[]>();
let cached = 0;

/** What a DER certificate says (shared with every other reading of the same bytes). */
export function describeCertificate(der: Uint8Array): CertificateInfo {
  const key = fnv1a(der);
  const bucket = cache.get(key);
  const hit = bucket?.find((entry) => sameBytes(entry.der, der));
  if (hit) return hit.info;
  const info = readCertificate(der);
  if (cached >= CACHE_LIMIT) {
    const [oldestKey, oldest] = cache.entries().next().value as [number, { der: Uint8Array; info: CertificateInfo }[]];
    cache.delete(oldestKey);
    cached -= oldest.length;
  }
  const entry = { der: der.slice(), info };
  const current = cache.get(key); // the eviction may have taken this key's bucket
  if (current) current.push(entry);
  else cache.set(key, [entry]);
  cached++;
  return info;
}

function fnv1a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return hash >>> 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function readCertificate(der: Uint8Array): CertificateInfo {
  try {
    const cert = AsnParser.parse(der, Certificate);
    const tbs = cert.tbsCertificate;
    const stringFields: { field: string; value: string }[] = [];
    const issuer = nameText(tbs.issuer, stringFields);
    const subject = nameText(tbs.subject, stringFields);
    const san: string[] = [];
    for (const extension of tbs.extensions ?? []) {
      if (extension.extnID !== id_ce_subjectAltName) continue;
      const names = AsnParser.parse(extension.extnValue.buffer, SubjectAlternativeName);
      for (const name of names) {
        if (name.dNSName !== undefined) san.push(name.dNSName);
        else if (name.iPAddress !== undefined) san.push(name.iPAddress);
      }
    }
    const keyAlgorithm = tbs.subjectPublicKeyInfo.algorithm;
    let keyDetail: string | null = null;
    if (keyAlgorithm.parameters && keyAlgorithm.parameters.byteLength > 2 && new Uint8Array(keyAlgorithm.parameters)[0] === 0x06) {
      keyDetail = oidName(decodeOid(new Uint8Array(keyAlgorithm.parameters)));
    } else if (keyAlgorithm.algorithm === '1.2.840.113549.1.1.1') {
      keyDetail = `${rsaModulusBits(new Uint8Array(tbs.subjectPublicKeyInfo.subjectPublicKey))} bits`;
    }
    return {
      subject,
      issuer,
      san,
      notBefore: tbs.validity.notBefore.getTime().toISOString(),
      notAfter: tbs.validity.notAfter.getTime().toISOString(),
      keyType: oidName(keyAlgorithm.algorithm),
      keyDetail,
      signatureAlgorithm: oidName(cert.signatureAlgorithm.algorithm),
      serialNumber: hex(tbs.serialNumber),
      stringFields,
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { subject: '', issuer: '', san: [], notBefore: '', notAfter: '', keyType: '', keyDetail: null, signatureAlgorithm: '', serialNumber: '', stringFields: [], error: `certificate does not parse: ${reason}` };
  }
}

/** An OBJECT IDENTIFIER's dotted form from its DER (tag 06, short length). */
function decodeOid(der: Uint8Array): string {
  const length = der[1];
  const body = der.subarray(2, 2 + length);
  if (body.length === 0) return '';
  const parts = [Math.floor(body[0] / 40), body[0] % 40];
  let value = 0;
  for (let i = 1; i < body.length; i++) {
    value = value * 128 + (body[i] & 0x7f);
    if (!(body[i] & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** RSAPublicKey ::= SEQUENCE { modulus INTEGER, … }: the modulus's size in bits. */
function rsaModulusBits(der: Uint8Array): number {
  let at = 0;
  const readLength = (): number => {
    let length = der[at++];
    if (length & 0x80) {
      const count = length & 0x7f;
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + der[at++];
    }
    return length;
  };
  if (der[at++] !== 0x30) return 0;
  readLength();
  if (der[at++] !== 0x02) return 0;
  let length = readLength();
  while (length > 0 && der[at] === 0) {
    at++;
    length--;
  }
  return length === 0 ? 0 : (length - 1) * 8 + (32 - Math.clz32(der[at]));
}
