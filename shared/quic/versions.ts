/** QUIC version numbers and the per-version constants of Initial protection and Retry integrity. */
import { fromHex } from '../wire/bytes';

export const QUIC_VERSION_NEGOTIATION = 0x00000000;
export const QUIC_V1 = 0x00000001;
/** RFC 9369. */
export const QUIC_V2 = 0x6b3343cf;

export interface VersionConstants {
  name: string;
  /** RFC 9001 §5.2 / RFC 9369 §3.3.1. */
  initialSalt: Uint8Array;
  /** "quic" for v1, "quicv2" for v2 (RFC 9369 §3.3.2). */
  labelPrefix: string;
  /** RFC 9001 §5.8 / RFC 9369 §3.3.3. */
  retryKey: Uint8Array;
  retryNonce: Uint8Array;
  /** Long-header type bits (first byte bits 4–5) of Initial, 0-RTT, Handshake and Retry. */
  typeBits: { initial: number; zeroRtt: number; handshake: number; retry: number };
}

const VERSIONS: ReadonlyMap<number, VersionConstants> = new Map([
  [
    QUIC_V1,
    {
      name: 'QUIC v1',
      initialSalt: fromHex('38762cf7f55934b34d179ae6a4c80cadccbb7f0a'),
      labelPrefix: 'quic',
      retryKey: fromHex('be0c690b9f66575a1d766b54e368c84e'),
      retryNonce: fromHex('461599d35d632bf2239825bb'),
      typeBits: { initial: 0, zeroRtt: 1, handshake: 2, retry: 3 },
    },
  ],
  [
    QUIC_V2,
    {
      name: 'QUIC v2',
      initialSalt: fromHex('0dede3def700a6db819381be6e269dcbf9bd2ed9'),
      labelPrefix: 'quicv2',
      retryKey: fromHex('8fb4b01b56ac48e260fbcbcead7ccc92'),
      retryNonce: fromHex('d86969bc2d7c6d9990efb04a'),
      typeBits: { initial: 1, zeroRtt: 2, handshake: 3, retry: 0 },
    },
  ],
]);

/** The constants of a version this code can unprotect, or undefined. */
export function versionConstants(version: number): VersionConstants | undefined {
  return VERSIONS.get(version);
}

/** RFC 9000 §15: versions of the form 0x?a?a?a?a are reserved to exercise version negotiation. */
export function isGreaseVersion(version: number): boolean {
  return (version & 0x0f0f0f0f) === 0x0a0a0a0a;
}

/** "QUIC v1", "draft-29", "GREASE 0x1a2a3a4a", "0x12345678". */
export function quicVersionName(version: number): string {
  const known = VERSIONS.get(version);
  if (known) return known.name;
  if (version === QUIC_VERSION_NEGOTIATION) return 'Version Negotiation';
  const hex = `0x${(version >>> 0).toString(16).padStart(8, '0')}`;
  if (version >>> 8 === 0xff0000) return `draft-${version & 0xff}`;
  if (isGreaseVersion(version)) return `GREASE ${hex}`;
  return hex;
}
