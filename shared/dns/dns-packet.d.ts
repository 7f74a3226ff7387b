/**
 * The part of dns-packet the DNS dissector uses, typed over the `buffer` package's Buffer.
 * Imported by its file path so that @types/dns-packet (which pulls in all of Node's types)
 * stays out of the environment-neutral core's type check.
 */
declare module 'dns-packet/index.js' {
  import type { Buffer } from 'buffer';

  interface Decoder<T> {
    decode(buf: Buffer, offset?: number): T;
  }
  interface DecoderWithBytes<T> {
    decode: ((buf: Buffer, offset?: number) => T) & { bytes: number };
  }
  export interface PacketQuestion {
    name: string;
    type: string;
    class: string;
  }
  export interface PacketAnswer {
    name: string;
    type: string;
    class?: string;
    ttl?: number;
    flush?: boolean;
    data?: unknown;
    udpPayloadSize?: number;
    extendedRcode?: number;
    ednsVersion?: number;
    flags?: number;
  }
  export const name: DecoderWithBytes<string>;
  export const question: DecoderWithBytes<PacketQuestion>;
  export const answer: DecoderWithBytes<PacketAnswer>;
  export const a: Decoder<string>;
}
