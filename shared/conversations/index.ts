/**
 * Conversations and Endpoints, as Wireshark's Statistics dialogs and `tshark -z conv,…`
 * / `-z endpoints,…` count them: a conversation's A is the side that sent its first frame,
 * bytes are frame lengths on the wire, start is relative to the capture's first frame.
 */

export type ConversationKind = 'eth' | 'ipv4' | 'ipv6' | 'tcp' | 'udp';
export type ConversationDirection = 'both' | 'a-to-b' | 'b-to-a' | 'a-any';

export interface ConversationStats {
  addressA: string;
  /** -1 for address-only kinds. */
  portA: number;
  addressB: string;
  portB: number;
  framesAB: number;
  bytesAB: number;
  framesBA: number;
  bytesBA: number;
  /** Seconds since the capture's first frame, and until the conversation's last frame. */
  start: number;
  duration: number;
}

export interface EndpointStats {
  address: string;
  port: number;
  txFrames: number;
  txBytes: number;
  rxFrames: number;
  rxBytes: number;
}

interface Accumulator {
  a: number;
  portA: number;
  b: number;
  portB: number;
  framesAB: number;
  bytesAB: number;
  framesBA: number;
  bytesBA: number;
  first: number;
  last: number;
}

/**
 * Sums frames into conversations keyed by the caller (an address pair, a tcp.stream …);
 * endpoints are address ids the caller formats at the end.
 */
export class ConversationTable {
  private readonly byKey = new Map<number | string, Accumulator>();
  private readonly list: Accumulator[] = [];

  add(key: number | string, source: number, sourcePort: number, destination: number, destinationPort: number, time: number, bytes: number): void {
    let c = this.byKey.get(key);
    if (c === undefined) {
      c = { a: source, portA: sourcePort, b: destination, portB: destinationPort, framesAB: 0, bytesAB: 0, framesBA: 0, bytesBA: 0, first: time, last: time };
      this.byKey.set(key, c);
      this.list.push(c);
    }
    if (source === c.a && sourcePort === c.portA) {
      c.framesAB++;
      c.bytesAB += bytes;
    } else {
      c.framesBA++;
      c.bytesBA += bytes;
    }
    if (time > c.last) c.last = time;
    if (time < c.first) c.first = time;
  }

  get size(): number {
    return this.list.length;
  }

  conversations(name: (id: number) => string): ConversationStats[] {
    return this.list.map((c) => ({
      addressA: name(c.a),
      portA: c.portA,
      addressB: name(c.b),
      portB: c.portB,
      framesAB: c.framesAB,
      bytesAB: c.bytesAB,
      framesBA: c.framesBA,
      bytesBA: c.bytesBA,
      start: c.first,
      duration: c.last - c.first,
    }));
  }

  /** The conversations as API columns (addresses named once each; no string keys per row). */
  columns(name: (id: number) => string): ConversationColumns {
    const n = this.list.length;
    const names = numberedNames(name);
    const out: ConversationColumns = { names: names.names, addressA: new Float64Array(n), portA: new Float64Array(n), addressB: new Float64Array(n), portB: new Float64Array(n), framesAB: new Float64Array(n), bytesAB: new Float64Array(n), framesBA: new Float64Array(n), bytesBA: new Float64Array(n), start: new Float64Array(n), duration: new Float64Array(n) };
    for (let i = 0; i < n; i++) {
      const c = this.list[i];
      out.addressA[i] = names.slot(c.a);
      out.portA[i] = c.portA;
      out.addressB[i] = names.slot(c.b);
      out.portB[i] = c.portB;
      out.framesAB[i] = c.framesAB;
      out.bytesAB[i] = c.bytesAB;
      out.framesBA[i] = c.framesBA;
      out.bytesBA[i] = c.bytesBA;
      out.start[i] = c.first;
      out.duration[i] = c.last - c.first;
    }
    return out;
  }

  /** The endpoints as API columns, in the order `endpoints` lists them. */
  endpointColumns(name: (id: number) => string): EndpointColumns {
    // Numeric keys (address id × 65,537 + port + 1; ids stay below 2^26): no string per side.
    const slotOf = new Map<number, number>();
    const address: number[] = [];
    const port: number[] = [];
    const tx: number[] = [];
    const rx: number[] = [];
    const side = (id: number, p: number): number => {
      const key = id * 65_537 + p + 1;
      let slot = slotOf.get(key);
      if (slot === undefined) {
        slot = address.length;
        slotOf.set(key, slot);
        address.push(id);
        port.push(p);
        tx.push(0, 0);
        rx.push(0, 0);
      }
      return slot;
    };
    for (const c of this.list) {
      const a = side(c.a, c.portA);
      const b = side(c.b, c.portB);
      tx[a * 2] += c.framesAB;
      tx[a * 2 + 1] += c.bytesAB;
      rx[a * 2] += c.framesBA;
      rx[a * 2 + 1] += c.bytesBA;
      tx[b * 2] += c.framesBA;
      tx[b * 2 + 1] += c.bytesBA;
      rx[b * 2] += c.framesAB;
      rx[b * 2 + 1] += c.bytesAB;
    }
    const n = address.length;
    const names = numberedNames(name);
    const out: EndpointColumns = { names: names.names, address: new Float64Array(n), port: Float64Array.from(port), txFrames: new Float64Array(n), txBytes: new Float64Array(n), rxFrames: new Float64Array(n), rxBytes: new Float64Array(n) };
    for (let i = 0; i < n; i++) {
      out.address[i] = names.slot(address[i]);
      out.txFrames[i] = tx[i * 2];
      out.txBytes[i] = tx[i * 2 + 1];
      out.rxFrames[i] = rx[i * 2];
      out.rxBytes[i] = rx[i * 2 + 1];
    }
    return out;
  }

  /** Each conversation's sides as endpoints: A sends A→B and receives B→A. */
  endpoints(name: (id: number) => string): EndpointStats[] {
    const byEndpoint = new Map<string, EndpointStats>();
    const side = (id: number, port: number): EndpointStats => {
      const key = `${id}/${port}`;
      let e = byEndpoint.get(key);
      if (!e) {
        e = { address: name(id), port, txFrames: 0, txBytes: 0, rxFrames: 0, rxBytes: 0 };
        byEndpoint.set(key, e);
      }
      return e;
    };
    for (const c of this.list) {
      const a = side(c.a, c.portA);
      const b = side(c.b, c.portB);
      a.txFrames += c.framesAB;
      a.txBytes += c.bytesAB;
      a.rxFrames += c.framesBA;
      a.rxBytes += c.bytesBA;
      b.txFrames += c.framesBA;
      b.txBytes += c.bytesBA;
      b.rxFrames += c.framesAB;
      b.rxBytes += c.bytesAB;
    }
    return [...byEndpoint.values()];
  }
}

/**
 * A table as columns for the API: `names` holds each address once and the address columns index
 * it, every other column is a number per row. Float64Arrays cross the browser host as one binary
 * frame (shared/api/binary.ts): 60,000 conversations as JSON objects were 14 MB and took the
 * renderer over two seconds to parse and check.
 */
export interface ConversationColumns {
  names: string[];
  addressA: Float64Array;
  portA: Float64Array;
  addressB: Float64Array;
  portB: Float64Array;
  framesAB: Float64Array;
  bytesAB: Float64Array;
  framesBA: Float64Array;
  bytesBA: Float64Array;
  start: Float64Array;
  duration: Float64Array;
}
export interface EndpointColumns {
  names: string[];
  address: Float64Array;
  port: Float64Array;
  txFrames: Float64Array;
  txBytes: Float64Array;
  rxFrames: Float64Array;
  rxBytes: Float64Array;
}

/** Address ids to slots of a name list, each id named once. */
function numberedNames(name: (id: number) => string): { names: string[]; slot: (id: number) => number } {
  const names: string[] = [];
  const slots = new Map<number, number>();
  return {
    names,
    slot(id) {
      let slot = slots.get(id);
      if (slot === undefined) {
        slot = names.length;
        names.push(name(id));
        slots.set(id, slot);
      }
      return slot;
    },
  };
}

/** Interns strings into a list, returning each one's index. */
function interner(): { names: string[]; id: (text: string) => number } {
  const names: string[] = [];
  const ids = new Map<string, number>();
  return {
    names,
    id(text) {
      let i = ids.get(text);
      if (i === undefined) {
        i = names.length;
        names.push(text);
        ids.set(text, i);
      }
      return i;
    },
  };
}

export function conversationColumns(rows: readonly ConversationStats[]): ConversationColumns {
  const n = rows.length;
  const names = interner();
  const out: ConversationColumns = { names: names.names, addressA: new Float64Array(n), portA: new Float64Array(n), addressB: new Float64Array(n), portB: new Float64Array(n), framesAB: new Float64Array(n), bytesAB: new Float64Array(n), framesBA: new Float64Array(n), bytesBA: new Float64Array(n), start: new Float64Array(n), duration: new Float64Array(n) };
  rows.forEach((r, i) => {
    out.addressA[i] = names.id(r.addressA);
    out.portA[i] = r.portA;
    out.addressB[i] = names.id(r.addressB);
    out.portB[i] = r.portB;
    out.framesAB[i] = r.framesAB;
    out.bytesAB[i] = r.bytesAB;
    out.framesBA[i] = r.framesBA;
    out.bytesBA[i] = r.bytesBA;
    out.start[i] = r.start;
    out.duration[i] = r.duration;
  });
  return out;
}

export function conversationRows(c: ConversationColumns): ConversationStats[] {
  return Array.from(c.framesAB, (_, i) => ({
    addressA: c.names[c.addressA[i]],
    portA: c.portA[i],
    addressB: c.names[c.addressB[i]],
    portB: c.portB[i],
    framesAB: c.framesAB[i],
    bytesAB: c.bytesAB[i],
    framesBA: c.framesBA[i],
    bytesBA: c.bytesBA[i],
    start: c.start[i],
    duration: c.duration[i],
  }));
}

export function endpointColumns(rows: readonly EndpointStats[]): EndpointColumns {
  const n = rows.length;
  const names = interner();
  const out: EndpointColumns = { names: names.names, address: new Float64Array(n), port: new Float64Array(n), txFrames: new Float64Array(n), txBytes: new Float64Array(n), rxFrames: new Float64Array(n), rxBytes: new Float64Array(n) };
  rows.forEach((r, i) => {
    out.address[i] = names.id(r.address);
    out.port[i] = r.port;
    out.txFrames[i] = r.txFrames;
    out.txBytes[i] = r.txBytes;
    out.rxFrames[i] = r.rxFrames;
    out.rxBytes[i] = r.rxBytes;
  });
  return out;
}

export function endpointRows(e: EndpointColumns): EndpointStats[] {
  return Array.from(e.txFrames, (_, i) => ({ address: e.names[e.address[i]], port: e.port[i], txFrames: e.txFrames[i], txBytes: e.txBytes[i], rxFrames: e.rxFrames[i], rxBytes: e.rxBytes[i] }));
}

/** Bits per second of `bytes` over `duration`, or null when the duration is zero (Wireshark shows N/A). */
export function bitsPerSecond(bytes: number, duration: number): number | null {
  return duration > 0 ? (bytes * 8) / duration : null;
}

/** Field names per kind: address (either direction), source, destination; and the port fields. */
const ADDRESS_FIELDS: Readonly<Record<ConversationKind, readonly [string, string, string]>> = {
  eth: ['eth.addr', 'eth.src', 'eth.dst'],
  ipv4: ['ip.addr', 'ip.src', 'ip.dst'],
  ipv6: ['ipv6.addr', 'ipv6.src', 'ipv6.dst'],
  tcp: ['ip.addr', 'ip.src', 'ip.dst'],
  udp: ['ip.addr', 'ip.src', 'ip.dst'],
};

function addressFields(kind: ConversationKind, address: string): readonly [string, string, string] {
  // A TCP/UDP conversation over IPv6 is filtered on the ipv6 fields.
  return (kind === 'tcp' || kind === 'udp') && address.includes(':') ? ADDRESS_FIELDS.ipv6 : ADDRESS_FIELDS[kind];
}

/** The display filter Wireshark's "Apply as Filter" builds for a conversation and direction. */
export function conversationFilter(kind: ConversationKind, c: Pick<ConversationStats, 'addressA' | 'portA' | 'addressB' | 'portB'>, direction: ConversationDirection): string {
  const [any, src, dst] = addressFields(kind, c.addressA);
  const ports = kind === 'tcp' || kind === 'udp';
  const port = (which: 'port' | 'srcport' | 'dstport', value: number) => (ports ? ` && ${kind}.${which}==${value}` : '');
  switch (direction) {
    case 'a-to-b':
      return `${src}==${c.addressA}${port('srcport', c.portA)} && ${dst}==${c.addressB}${port('dstport', c.portB)}`;
    case 'b-to-a':
      return `${src}==${c.addressB}${port('srcport', c.portB)} && ${dst}==${c.addressA}${port('dstport', c.portA)}`;
    case 'a-any':
      return `${any}==${c.addressA}${port('port', c.portA)}`;
    default:
      return `${any}==${c.addressA}${port('port', c.portA)} && ${any}==${c.addressB}${port('port', c.portB)}`;
  }
}
