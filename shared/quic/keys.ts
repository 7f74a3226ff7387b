/** Initial packet protection keys (RFC 9001 §5.1–5.2; RFC 9369 §3.3 for v2). */
import { hkdfExpandLabel, hkdfExtract, type QuicCrypto } from './crypto';
import { versionConstants } from './versions';

export interface PacketProtectionKeys {
  /** The traffic secret the three keys are expanded from. */
  secret: Uint8Array;
  /** AEAD_AES_128_GCM key, 16 bytes. */
  key: Uint8Array;
  /** AEAD IV, 12 bytes. */
  iv: Uint8Array;
  /** Header-protection key, 16 bytes. */
  hp: Uint8Array;
}

export interface InitialKeys {
  /** HKDF-Extract(initial_salt, client's first Destination Connection ID). */
  initialSecret: Uint8Array;
  client: PacketProtectionKeys;
  server: PacketProtectionKeys;
}

/** Expands one side's key, IV and header-protection key from its traffic secret. */
export async function expandPacketKeys(crypto: QuicCrypto, secret: Uint8Array, labelPrefix = 'quic'): Promise<PacketProtectionKeys> {
  const [key, iv, hp] = await Promise.all([
    hkdfExpandLabel(crypto, secret, `${labelPrefix} key`, 16),
    hkdfExpandLabel(crypto, secret, `${labelPrefix} iv`, 12),
    hkdfExpandLabel(crypto, secret, `${labelPrefix} hp`, 16),
  ]);
  return { secret, key, iv, hp };
}

/**
 * Both sides' Initial keys, derived from the Destination Connection ID of the client's
 * first Initial packet (or of the Initial it sent after a Retry). Null for versions whose
 * Initial salt is unknown.
 */
export async function deriveInitialKeys(crypto: QuicCrypto, version: number, clientDcid: Uint8Array): Promise<InitialKeys | null> {
  const constants = versionConstants(version);
  if (!constants) return null;
  const initialSecret = await hkdfExtract(crypto, constants.initialSalt, clientDcid);
  const [clientSecret, serverSecret] = await Promise.all([
    hkdfExpandLabel(crypto, initialSecret, 'client in', 32),
    hkdfExpandLabel(crypto, initialSecret, 'server in', 32),
  ]);
  const [client, server] = await Promise.all([
    expandPacketKeys(crypto, clientSecret, constants.labelPrefix),
    expandPacketKeys(crypto, serverSecret, constants.labelPrefix),
  ]);
  return { initialSecret, client, server };
}
