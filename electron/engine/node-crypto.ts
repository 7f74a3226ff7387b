/**
 * `node:crypto`, loaded on first use: every file command builds its TLS and QUIC crypto, and
 * most runs (no key log, no QUIC) never call it, so they skip loading the module (about 4 ms
 * of a command's start-up on this machine).
 */
import type * as NodeCrypto from 'node:crypto';

let loaded: typeof NodeCrypto | undefined;

export function nodeCrypto(): typeof NodeCrypto {
  loaded ??= require('node:crypto') as typeof NodeCrypto;
  return loaded;
}
