/**
 * The outer encapsulation of a tunnelled frame in one line, for a column and a field
 * (`tunnel.outer`): the outermost tunnel's name and identifier, then the outer header's
 * endpoints, e.g. `VXLAN 42 / 198.18.0.1→198.18.0.2`, `GRE key 0x0000abcd / …`, `MPLS 16,17 / …`,
 * `IPIP / …`, `6in4 / …`. Wireshark has no such field; the name is ours. Null when not tunnelled.
 */
import type { DecodedFrame, DecodedLayer } from '../decoding';

const TUNNEL_KINDS = new Set(['vxlan', 'geneve', 'gre', 'mpls']);

function value(layer: DecodedLayer, name: string): string | number | undefined {
  for (const field of layer.fields) if (field.name === name && (typeof field.value === 'number' || typeof field.value === 'string')) return field.value;
  return undefined;
}

function endpoints(layer: DecodedLayer | undefined): string {
  if (!layer) return '';
  const prefix = layer.kind === 'ipv6' ? 'ipv6' : layer.kind === 'ip' ? 'ip' : layer.kind === 'eth' ? 'eth' : '';
  if (!prefix) return '';
  const src = value(layer, `${prefix}.src`);
  const dst = value(layer, `${prefix}.dst`);
  return src !== undefined && dst !== undefined ? ` / ${src}→${dst}` : '';
}

export function outerEncapsulation(frame: DecodedFrame): string | null {
  const layers = frame.layers;
  let outer: DecodedLayer | undefined;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    if (layer.quoted || layer.source) continue;
    const isIp = layer.kind === 'ip' || layer.kind === 'ipv6';
    if (isIp && outer && (outer.kind === 'ip' || outer.kind === 'ipv6')) {
      // IP directly in IP (IPIP, 6in4, 4in6, IPv6 in IPv6).
      const name = outer.kind === 'ip' ? (layer.kind === 'ip' ? 'IPIP' : '6in4') : layer.kind === 'ip' ? '4in6' : 'IPv6 in IPv6';
      return `${name}${endpoints(outer)}`;
    }
    if (TUNNEL_KINDS.has(layer.kind)) return `${tunnelName(layers, i)}${endpoints(outer)}`;
    if (isIp || layer.kind === 'eth') outer = layer;
    else if (layer.kind === 'udp') continue;
    else if (layer.kind !== 'vlan' && layer.kind !== 'sll' && layer.kind !== 'sll2') {
      if (layer.kind === 'tcp' || layer.kind === 'icmp' || layer.kind === 'icmpv6' || layer.kind === 'data') return null;
    }
  }
  return null;
}

function tunnelName(layers: readonly DecodedLayer[], at: number): string {
  const layer = layers[at];
  switch (layer.kind) {
    case 'vxlan':
      return `VXLAN ${value(layer, 'vxlan.vni') ?? '?'}`;
    case 'geneve':
      return `Geneve ${value(layer, 'geneve.vni') ?? '?'}`;
    case 'gre': {
      const erspan = layers[at + 1]?.kind === 'erspan' ? layers[at + 1] : undefined;
      if (erspan) return `ERSPAN ${value(erspan, 'erspan.spanid') ?? '?'}`;
      const key = value(layer, 'gre.key');
      return typeof key === 'number' ? `GRE key 0x${key.toString(16).padStart(8, '0')}` : 'GRE';
    }
    default: {
      const labels: Array<string | number> = [];
      for (let i = at; i < layers.length && layers[i].kind === 'mpls'; i++) {
        for (const field of layers[i].fields) if (field.name === 'mpls.label' && typeof field.value === 'number') labels.push(field.value);
      }
      return `MPLS ${labels.join(',')}`;
    }
  }
}
