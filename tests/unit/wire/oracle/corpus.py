"""
Builds the test corpus with Scapy, the independent oracle for the wire core's tests.

For every frame it prints one JSON line:
  name, linkType, hex            the frame as Scapy built it (Scapy computes every length and checksum left as None)
  spec                           the same frame as a FrameSpec with only the non-automatic fields set
  expect                         field values as Scapy dissects them, under Wireshark names
  quoted                         fields of the datagram quoted by an ICMP error (Scapy's IPerror/TCPerror)
  status                         checksum statuses the frame was built to have

Usage: /usr/bin/python3 corpus.py [pcap-directory]
       /usr/bin/python3 corpus.py --random COUNT SEED [pcap-directory]
With a directory, it also writes one pcap per link type there (for the tshark cross-check).
With --random, it prints COUNT random well-formed frames instead (the property tests' input).
"""
import json
import struct
import sys

from scapy.all import (
    ICMP, IP, IPerror, IPv6, IPerror6, Raw, TCP, TCPerror, UDP, UDPerror, Padding, Ether, Dot1Q, Dot1AD,
    ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6DestUnreach, ICMPv6TimeExceeded, ICMPv6PacketTooBig,
    IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrFragment, IPv6ExtHdrDestOpt, IPv6ExtHdrSegmentRouting, RouterAlert, PadN,
    IPOption_RR, IPOption_Router_Alert, IPOption_NOP, IPOption_EOL, PcapWriter, raw, checksum,
)
from scapy.layers.l2 import CookedLinux, CookedLinuxV2, Loopback
from scapy.layers.inet import in4_chksum
from scapy.layers.inet6 import in6_chksum, _ICMPv6

A4, B4 = "198.18.0.1", "198.18.0.2"
A6, B6 = "2001:db8::1", "2001:db8:0:0:1::2"

MAC_A, MAC_B = "02:00:00:00:00:0a", "02:00:00:00:00:0b"


def hexs(data):
    return bytes(data).hex()


def colon_hex(data):
    """Bytes the way tshark and the decoder's JSON print them."""
    return ":".join("%02x" % b for b in bytes(data))


def tcp_option_spec(name, value):
    if name == "EOL":
        return {"kind": "eol"}
    if name == "NOP":
        return {"kind": "nop"}
    if name == "MSS":
        return {"kind": "mss", "value": value}
    if name == "WScale":
        return {"kind": "wscale", "shift": value}
    if name == "SAckOK":
        return {"kind": "sack_perm"}
    if name == "SAck":
        return {"kind": "sack", "blocks": [[value[i], value[i + 1]] for i in range(0, len(value), 2)]}
    if name == "Timestamp":
        return {"kind": "timestamp", "tsval": value[0], "tsecr": value[1]}
    if name == "TFO":
        # Scapy dissects an 8-byte cookie as two 32-bit integers
        cookie = struct.pack("!II", *value) if isinstance(value, tuple) else value
        return {"kind": "tfo", "cookie": hexs(cookie)}
    kind = name if isinstance(name, int) else int(name)
    if kind == 254 and len(value) >= 2 and value[:2] == b"\xf9\x89":
        return {"kind": "tfo", "cookie": hexs(value[2:]), "experimental": True}
    return {"kind": "raw", "type": kind, "data": hexs(value)}


def tcp_option_expect(options, expect):
    kinds = []
    for name, value in options:
        spec = tcp_option_spec(name, value)
        kinds.append({"eol": 0, "nop": 1, "mss": 2, "wscale": 3, "sack_perm": 4, "sack": 5, "timestamp": 8}.get(spec["kind"], None)
                     if spec["kind"] not in ("tfo", "raw") else (spec.get("type") if spec["kind"] == "raw" else (254 if spec.get("experimental") else 34)))
        if spec["kind"] == "mss":
            expect["tcp.options.mss_val"] = value
        elif spec["kind"] == "wscale":
            expect["tcp.options.wscale.shift"] = value
        elif spec["kind"] == "sack_perm":
            expect["tcp.options.sack_perm"] = True
        elif spec["kind"] == "sack":
            expect.setdefault("tcp.options.sack_le", []).extend(value[0::2])
            expect.setdefault("tcp.options.sack_re", []).extend(value[1::2])
        elif spec["kind"] == "timestamp":
            expect["tcp.options.timestamp.tsval"], expect["tcp.options.timestamp.tsecr"] = value
        elif spec["kind"] == "tfo":
            if spec["cookie"]:
                expect["tcp.options.tfo.cookie"] = colon_hex(bytes.fromhex(spec["cookie"]))
        if spec["kind"] == "eol":
            break
    expect["tcp.options.kinds"] = kinds


def wireshark_option_kinds(options):
    """Option kinds in the order Wireshark lists them: every byte after an EOL counts as one more EOL."""
    kinds, i = [], 0
    while i < len(options):
        kinds.append(options[i])
        if options[i] in (0, 1):
            i += 1
        else:
            i += max(options[i + 1], 2) if i + 1 < len(options) else 1
    return kinds


EXT_TYPES = {IPv6ExtHdrHopByHop: 0, IPv6ExtHdrRouting: 43, IPv6ExtHdrSegmentRouting: 43, IPv6ExtHdrFragment: 44, IPv6ExtHdrDestOpt: 60}
EXT_PREFIX = {0: "ipv6.hopopts", 43: "ipv6.routing", 44: "ipv6.fraghdr", 60: "ipv6.dstopts"}


def walk(pkt, link_layers, expect, quoted):
    """Turns a dissected Scapy packet into (spec layers, trailer) and fills the expectations."""
    layers = list(link_layers)
    trailer = b""
    layer = pkt
    in_error = False
    while layer is not None and len(raw(layer)) > 0:
        payload = layer.payload
        if isinstance(layer, Ether):
            layers.append({"layer": "eth", "fields": {"eth.dst": layer.dst, "eth.src": layer.src}})
            expect.update({"eth.dst": layer.dst, "eth.src": layer.src, "eth.type": layer.type})
        elif isinstance(layer, (Dot1Q, Dot1AD)):
            fields = {"vlan.priority": layer.prio, "vlan.dei": bool(layer.id), "vlan.id": layer.vlan}
            layers.append({"layer": "vlan", "fields": fields})
            if isinstance(layer, Dot1AD):  # a service tag: Wireshark names it ieee8021ad
                expect.update({"ieee8021ad.id": layer.vlan, "ieee8021ad.priority": layer.prio})
            else:
                expect.setdefault("vlan.id", layer.vlan)
                expect.setdefault("vlan.etype", layer.type)
        elif isinstance(layer, CookedLinuxV2):
            layers.append({"layer": "sll2", "fields": {"sll.pkttype": layer.pkttype, "sll.hatype": layer.lladdrtype, "sll.halen": layer.lladdrlen,
                                                      "sll.reserved": layer.reserved, "sll.ifindex": layer.ifindex,
                                                      "sll.src.eth": ":".join("%02x" % b for b in layer.src[:6]), "sll.unused": hexs(layer.src[6:8])}})
            expect.update({"sll.pkttype": layer.pkttype, "sll.hatype": layer.lladdrtype, "sll.ifindex": layer.ifindex, "sll.etype": layer.proto})
        elif isinstance(layer, CookedLinux):  # after V2, its subclass
            layers.append({"layer": "sll", "fields": {"sll.pkttype": layer.pkttype, "sll.hatype": layer.lladdrtype, "sll.halen": layer.lladdrlen,
                                                     "sll.src.eth": ":".join("%02x" % b for b in layer.src[:6]), "sll.unused": hexs(layer.src[6:8])}})
            expect.update({"sll.pkttype": layer.pkttype, "sll.hatype": layer.lladdrtype, "sll.halen": layer.lladdrlen, "sll.etype": layer.proto})
        elif isinstance(layer, Loopback):
            layers.append({"layer": "null", "fields": {}})
            expect["null.family"] = layer.type
            if layer.type in (24, 28, 30):  # Scapy only maps some IPv6 family values
                payload = IPv6(raw(layer.payload))
        elif isinstance(layer, IP) and not isinstance(layer, IPerror):
            flags = int(layer.flags)
            fields = {"ip.version": layer.version, "ip.dsfield": layer.tos, "ip.id": layer.id, "ip.flags": flags,
                      "ip.frag_offset": layer.frag, "ip.ttl": layer.ttl, "ip.src": layer.src, "ip.dst": layer.dst}
            expect.update(fields)
            expect.update({"ip.hdr_len": layer.ihl * 4, "ip.len": layer.len, "ip.proto": layer.proto, "ip.checksum": layer.chksum,
                           "ip.flags.rb": bool(flags & 4), "ip.flags.df": bool(flags & 2), "ip.flags.mf": bool(flags & 1),
                           "ip.dsfield.dscp": layer.tos >> 2, "ip.dsfield.ecn": layer.tos & 3})
            spec = {"layer": "ip", "fields": fields}
            header = raw(layer)[: layer.ihl * 4]
            if layer.ihl > 5:
                spec["ipOptions"] = hexs(header[20:])
            layers.append(spec)
            whole = raw(layer)
            trailer = whole[layer.len:] if layer.len < len(whole) else b""
            if layer.frag > 0 or flags & 1:
                fields["ip.proto"] = layer.proto  # a fragment's payload is data: the protocol is not implied by it
                layers.append({"layer": "data", "fields": {}, "data": hexs(whole[layer.ihl * 4: layer.len])})
                break
        elif isinstance(layer, IPv6) and not isinstance(layer, IPerror6):
            fields = {"ipv6.version": layer.version, "ipv6.tclass": layer.tc, "ipv6.flow": layer.fl, "ipv6.hlim": layer.hlim,
                      "ipv6.src": layer.src, "ipv6.dst": layer.dst}
            expect.update(fields)
            expect.update({"ipv6.plen": layer.plen, "ipv6.nxt": layer.nh})
            spec = {"layer": "ipv6", "fields": fields, "extHeaders": []}
            layers.append(spec)
            whole = raw(layer)
            trailer = whole[40 + layer.plen:] if 40 + layer.plen < len(whole) else b""
            payload = layer.payload
            fragmented = False
            while type(payload) in EXT_TYPES:
                ext_type = EXT_TYPES[type(payload)]
                ext_raw = raw(payload)
                length = 8 if ext_type == 44 else (ext_raw[1] + 1) * 8
                spec["extHeaders"].append({"type": ext_type, "body": hexs(ext_raw[2:length])})
                prefix = EXT_PREFIX[ext_type]
                expect.setdefault(prefix + ".nxt", payload.nh)
                if ext_type == 44:
                    expect.update({"ipv6.fraghdr.offset": payload.offset, "ipv6.fraghdr.more": bool(payload.m), "ipv6.fraghdr.ident": payload.id})
                    fragmented = payload.offset > 0 or payload.m
                else:
                    expect.setdefault(prefix + ".len", payload.len)
                if ext_type == 43:
                    expect.update({"ipv6.routing.type": payload.type, "ipv6.routing.segleft": payload.segleft})
                payload = payload.payload
                if fragmented:
                    # the upper-layer protocol is not implied by a data layer: give the last header's next header
                    spec["extHeaders"][-1]["nxt"] = ext_raw[0]
                    rest = raw(payload)
                    layers.append({"layer": "data", "fields": {}, "data": hexs(rest[: len(rest) - len(trailer)])})
                    break
            if fragmented:
                break
        elif isinstance(layer, TCP) and not isinstance(layer, TCPerror):
            flags = int(layer.flags) | (layer.reserved << 9)
            fields = {"tcp.srcport": layer.sport, "tcp.dstport": layer.dport, "tcp.seq_raw": layer.seq, "tcp.ack_raw": layer.ack,
                      "tcp.flags": flags, "tcp.window_size_value": layer.window, "tcp.urgent_pointer": layer.urgptr}
            expect.update(fields)
            expect.update({"tcp.hdr_len": layer.dataofs * 4, "tcp.checksum": layer.chksum,
                           "tcp.flags.fin": bool(flags & 1), "tcp.flags.syn": bool(flags & 2), "tcp.flags.reset": bool(flags & 4),
                           "tcp.flags.push": bool(flags & 8), "tcp.flags.ack": bool(flags & 16), "tcp.flags.urg": bool(flags & 32),
                           "tcp.flags.ece": bool(flags & 64), "tcp.flags.cwr": bool(flags & 128), "tcp.flags.ae": bool(flags & 256)})
            spec = {"layer": "tcp", "fields": fields, "tcpOptions": [tcp_option_spec(n, v) for n, v in layer.options]}
            if layer.options:
                tcp_option_expect(layer.options, expect)
                expect["tcp.options.kinds"] = wireshark_option_kinds(raw(layer)[20: layer.dataofs * 4])
            layers.append(spec)
            expect["tcp.len"] = len(raw(layer.payload)) - (len(raw(layer.payload[Padding])) if Padding in layer.payload else 0)
        elif isinstance(layer, UDP) and not isinstance(layer, UDPerror):
            fields = {"udp.srcport": layer.sport, "udp.dstport": layer.dport}
            expect.update(fields)
            expect.update({"udp.length": layer.len, "udp.checksum": layer.chksum})
            layers.append({"layer": "udp", "fields": fields})
        elif isinstance(layer, ICMP):
            fields = {"icmp.type": layer.type, "icmp.code": layer.code}
            whole = raw(layer)
            if layer.type in (0, 8):
                fields.update({"icmp.ident": layer.id, "icmp.seq": layer.seq})
            else:
                fields["icmp.unused"] = hexs(whole[4:8])
            expect.update(fields)
            if "icmp.unused" in fields:
                expect["icmp.unused"] = colon_hex(whole[4:8])
            expect["icmp.checksum"] = layer.chksum
            layers.append({"layer": "icmp", "fields": fields})
            rest = whole[8:]
            if layer.type in (3, 4, 5, 11, 12):
                in_error = True
            if rest:
                layers.append({"layer": "data", "fields": {}, "data": hexs(rest[: len(rest) - len(trailer)] if trailer else rest)})
            break
        elif isinstance(layer, _ICMPv6):
            whole = raw(layer)
            fields = {"icmpv6.type": layer.type, "icmpv6.code": layer.code}
            if layer.type in (128, 129):
                fields.update({"icmpv6.echo.identifier": layer.id, "icmpv6.echo.sequence_number": layer.seq})
            else:
                fields["icmpv6.reserved"] = hexs(whole[4:8])
            expect.update(fields)
            if "icmpv6.reserved" in fields:
                expect["icmpv6.reserved"] = colon_hex(whole[4:8])
            expect["icmpv6.checksum"] = layer.cksum
            layers.append({"layer": "icmpv6", "fields": fields})
            rest = whole[8:]
            if layer.type in (1, 2, 3, 4):
                in_error = True
            if rest:
                layers.append({"layer": "data", "fields": {}, "data": hexs(rest[: len(rest) - len(trailer)] if trailer else rest)})
            break
        elif isinstance(layer, Padding):
            break
        else:
            # Raw, or a layer Scapy knows and the decoder leaves as data: the bytes up to any padding
            data = raw(layer)
            if Padding in layer:
                data = data[: len(data) - len(raw(layer[Padding]))]
            layers.append({"layer": "data", "fields": {}, "data": hexs(data)})
            expect["data.len"] = len(data)
            break
        layer = payload
    if in_error:
        inner = pkt.getlayer(IPerror) or pkt.getlayer(IPerror6)
        if isinstance(inner, IPerror):
            quoted.update({"ip.src": inner.src, "ip.dst": inner.dst, "ip.proto": inner.proto, "ip.len": inner.len, "ip.id": inner.id, "ip.ttl": inner.ttl})
        elif isinstance(inner, IPerror6):
            quoted.update({"ipv6.src": inner.src, "ipv6.dst": inner.dst, "ipv6.nxt": inner.nh, "ipv6.plen": inner.plen})
        t = pkt.getlayer(TCPerror)
        if t is not None:
            quoted.update({"tcp.srcport": t.sport, "tcp.dstport": t.dport, "tcp.seq_raw": t.seq})
        u = pkt.getlayer(UDPerror)
        if u is not None:
            quoted.update({"udp.srcport": u.sport, "udp.dstport": u.dport})
    return layers, trailer


LINK = {1: Ether, 113: CookedLinux, 276: CookedLinuxV2, 0: Loopback}
entries = []
pcaps = {}


def add(name, link_type, pkt, status=None, prefix=b"", prefix_spec=None):
    """Registers a frame: `pkt` is built (Scapy fills what was left None) and dissected again."""
    data = prefix + raw(pkt)
    if link_type in LINK and not prefix:
        dissected = LINK[link_type](data)
    elif link_type in (101, 228):
        dissected = (IP if data[0] >> 4 == 4 else IPv6)(data)
    elif link_type == 229:
        dissected = IPv6(data)
    else:
        dissected = (IP if data[len(prefix)] >> 4 == 4 else IPv6)(data[len(prefix):])
    expect, quoted = {}, {}
    layers, trailer = walk(dissected, prefix_spec or [], expect, quoted)
    if prefix_spec:
        expect["null.family"] = struct.unpack(">I", prefix)[0]
    spec = {"linkType": link_type, "layers": layers}
    if trailer:
        spec["trailer"] = hexs(trailer)
    entries.append({"name": name, "linkType": link_type, "hex": hexs(data), "spec": spec, "expect": expect, "quoted": quoted, "status": status or {}})
    pcaps.setdefault(link_type, []).append(data)


def eth(*layers):
    pkt = Ether(src=MAC_A, dst=MAC_B)
    for layer in layers:
        pkt = pkt / layer
    return pkt


def partial_tcp(ip_layer, tcp_layer, payload=b""):
    """A segment as a sending host with checksum offload captures it: the field holds the pseudo-header sum."""
    built = ip_layer.__class__(raw(ip_layer / tcp_layer / payload))
    segment_length = len(raw(built[TCP]))
    if isinstance(built, IP):
        pseudo = struct.pack("!4s4sHH", bytes(map(int, built.src.split("."))), bytes(map(int, built.dst.split("."))), 6, segment_length)
    else:
        import socket
        pseudo = socket.inet_pton(socket.AF_INET6, built.src) + socket.inet_pton(socket.AF_INET6, built.dst) + struct.pack("!IxxxB", segment_length, 6)
    folded = (~checksum(pseudo)) & 0xFFFF  # Scapy's checksum() returns the complement of the folded sum
    tcp_layer = tcp_layer.copy()
    tcp_layer.chksum = folded
    return ip_layer / tcp_layer / payload


SYN_OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (123456789, 0)), ("NOP", None), ("WScale", 7)]
good = {"ip.checksum.status": "good", "tcp.checksum.status": "good"}
good6 = {"tcp.checksum.status": "good"}

# --- Ethernet, IPv4, TCP with every option --------------------------------------------------------
add("eth-ipv4-syn-linux-options", 1, eth(IP(src=A4, dst=B4, id=0x1234, flags="DF", ttl=64), TCP(sport=51234, dport=443, seq=0xFFFFFFF0, flags="S", window=64240, options=SYN_OPTS)), good)
add("eth-ipv4-synack", 1, eth(IP(src=B4, dst=A4, flags="DF"), TCP(sport=443, dport=51234, seq=7, ack=0xFFFFFFF1, flags="SA", window=65160, options=SYN_OPTS)), good)
add("eth-ipv4-sack-blocks", 1, eth(IP(src=A4, dst=B4), TCP(sport=1, dport=2, flags="A", options=[("NOP", None), ("NOP", None), ("SAck", (1000, 2000, 3000, 4000, 4000000000, 4100000000))])), good)
add("eth-ipv4-tfo-cookie", 1, eth(IP(src=A4, dst=B4), TCP(sport=1, dport=2, flags="S", options=[("MSS", 1400), ("TFO", b"\x01\x02\x03\x04\x05\x06\x07\x08")]) / Raw(b"GET / HTTP/1.1\r\n")), good)
add("eth-ipv4-tfo-request", 1, eth(IP(src=A4, dst=B4), TCP(sport=1, dport=2, flags="S", options=[("TFO", b""), ("NOP", None), ("NOP", None)])), good)
add("eth-ipv4-tfo-experimental", 1, eth(IP(src=A4, dst=B4), TCP(sport=1, dport=2, flags="S", options=[(254, b"\xf9\x89\xaa\xbb\xcc\xdd"), ("NOP", None), ("NOP", None)])), good)
add("eth-ipv4-unknown-option-and-eol", 1, eth(IP(src=A4, dst=B4), TCP(sport=1, dport=2, flags="PA", options=[(77, b"\x01\x02\x03"), ("EOL", None)]) / Raw(b"x" * 5)), good)
add("eth-ipv4-all-flags", 1, eth(IP(src=A4, dst=B4, tos=0xB9), TCP(sport=5, dport=6, flags="FSRPAUECN", urgptr=7, reserved=5)), good)
add("eth-ipv4-data-trailer", 1, eth(IP(src=A4, dst=B4), TCP(sport=1, dport=2, flags="A"), Padding(b"\x00" * 6)), good)
add("eth-ipv4-odd-payload-and-trailer", 1, eth(IP(src=A4, dst=B4), TCP(sport=1, dport=2, flags="PA") / Raw(b"abc"), Padding(b"\x00\x00\x00" + b"\xde\xad\xbe\xef")), good)
add("eth-ipv4-options", 1, eth(IP(src=A4, dst=B4, options=[IPOption_Router_Alert(), IPOption_NOP(), IPOption_RR(routers=["198.18.1.1", "198.18.1.2"])]), TCP(sport=1, dport=2, flags="S")), good)
add("eth-ipv4-fragment-first", 1, eth(IP(src=A4, dst=B4, flags="MF", id=77, proto=6) / Raw(bytes(raw(TCP(sport=1, dport=2, flags="S"))) + b"y" * 12)), {"ip.checksum.status": "good"})
add("eth-ipv4-fragment-later", 1, eth(IP(src=A4, dst=B4, frag=3, id=77, proto=6) / Raw(b"z" * 24)), {"ip.checksum.status": "good"})
add("eth-ipv4-bad-checksums", 1, eth(IP(src=A4, dst=B4, chksum=0x1234), TCP(sport=1, dport=2, flags="S", chksum=0x4321)), {"ip.checksum.status": "bad", "tcp.checksum.status": "bad"})
add("eth-ipv4-offload-partial", 1, eth(partial_tcp(IP(src=A4, dst=B4, flags="DF"), TCP(sport=40000, dport=80, flags="PA", seq=1, ack=1), b"hello")), {"ip.checksum.status": "good", "tcp.checksum.status": "partial"})
add("eth-ipv6-offload-partial", 1, eth(partial_tcp(IPv6(src=A6, dst=B6), TCP(sport=40000, dport=80, flags="S", options=SYN_OPTS))), {"tcp.checksum.status": "partial"})

# --- VLAN, QinQ ---------------------------------------------------------------------------------
add("eth-vlan-ipv4", 1, eth(Dot1Q(vlan=100, prio=5, id=1), IP(src=A4, dst=B4), TCP(sport=10, dport=20, flags="S")), good)
add("eth-qinq-ipv6", 1, Ether(src=MAC_A, dst=MAC_B, type=0x88A8) / Dot1AD(vlan=300, prio=1) / Dot1Q(vlan=42) / IPv6(src=A6, dst=B6) / TCP(sport=10, dport=20, flags="SA"), good6)

# --- IPv6 and its extension headers -------------------------------------------------------------
add("eth-ipv6-tcp", 1, eth(IPv6(src=A6, dst=B6, tc=0x2E, fl=0xABCDE, hlim=57), TCP(sport=443, dport=60000, flags="PA", seq=10, ack=20, options=[("NOP", None), ("NOP", None), ("Timestamp", (5, 6))]) / Raw(b"hello world")), good6)
add("eth-ipv6-hopbyhop", 1, eth(IPv6(src=A6, dst=B6), IPv6ExtHdrHopByHop(options=[RouterAlert()]), TCP(sport=1, dport=2, flags="S")), good6)
add("eth-ipv6-routing", 1, eth(IPv6(src=A6, dst=B6), IPv6ExtHdrRouting(addresses=["2001:db8::99"], segleft=0), UDP(sport=53, dport=5353) / Raw(b"q")), {})
# With segments left, the pseudo-header uses the final destination (RFC 8200 §8.1): Scapy computes it so
add("eth-ipv6-routing-type0-segments-left", 1, eth(IPv6(src=A6, dst=B6), IPv6ExtHdrRouting(addresses=["2001:db8::a", "2001:db8::b"], segleft=2), TCP(sport=1, dport=2, flags="S")), good6)
add("eth-ipv6-segment-routing", 1, eth(IPv6(src=A6, dst=B6), IPv6ExtHdrSegmentRouting(addresses=["2001:db8::c", "2001:db8::d"], segleft=1), TCP(sport=1, dport=2, flags="S")), good6)
add("eth-ipv6-dstopts", 1, eth(IPv6(src=A6, dst=B6), IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00\x00\x00\x00")]), TCP(sport=1, dport=2, flags="S")), good6)
add("eth-ipv6-atomic-fragment", 1, eth(IPv6(src=A6, dst=B6), IPv6ExtHdrFragment(offset=0, m=0, id=0x11223344), TCP(sport=1, dport=2, flags="S")), good6)
add("eth-ipv6-fragment-later", 1, eth(IPv6(src=A6, dst=B6), IPv6ExtHdrFragment(offset=5, m=1, id=9, nh=6), Raw(b"f" * 16)), {})
add("eth-ipv6-chain", 1, eth(IPv6(src=A6, dst=B6), IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt(), IPv6ExtHdrRouting(), IPv6ExtHdrFragment(id=1), IPv6ExtHdrDestOpt(), TCP(sport=1, dport=2, flags="S")), good6)

# --- UDP and ICMP ------------------------------------------------------------------------------
add("eth-ipv4-udp", 1, eth(IP(src=A4, dst=B4), UDP(sport=5353, dport=53) / Raw(b"\x12\x34" * 10)), {"ip.checksum.status": "good", "udp.checksum.status": "good"})
add("eth-ipv4-udp-no-checksum", 1, eth(IP(src=A4, dst=B4), UDP(sport=68, dport=67, chksum=0) / Raw(b"abc")), {"udp.checksum.status": "unverified"})
add("eth-ipv6-udp", 1, eth(IPv6(src=A6, dst=B6), UDP(sport=1000, dport=2000) / Raw(b"payload")), {"udp.checksum.status": "good"})
add("eth-icmp-echo", 1, eth(IP(src=A4, dst=B4), ICMP(type=8, id=0x1234, seq=1) / Raw(b"abcdefgh")), {"icmp.checksum.status": "good"})
quoted_tcp = raw(IP(src=B4, dst=A4, ttl=63, id=5) / TCP(sport=40000, dport=9, flags="S", seq=0x01020304))[:28]
add("eth-icmp-port-unreachable", 1, eth(IP(src=A4, dst=B4), ICMP(type=3, code=3) / Raw(quoted_tcp)), {"icmp.checksum.status": "good"})
add("eth-icmp-time-exceeded-udp", 1, eth(IP(src=A4, dst=B4), ICMP(type=11, code=0) / Raw(raw(IP(src=B4, dst=A4) / UDP(sport=33434, dport=33435) / Raw(b"xxxx"))[:28])), {"icmp.checksum.status": "good"})
add("eth-icmpv6-echo", 1, eth(IPv6(src=A6, dst=B6), ICMPv6EchoRequest(id=7, seq=9, data=b"ping")), {"icmpv6.checksum.status": "good"})
add("eth-icmpv6-port-unreachable", 1, eth(IPv6(src=A6, dst=B6), ICMPv6DestUnreach(code=4) / Raw(raw(IPv6(src=B6, dst=A6) / TCP(sport=40000, dport=9, flags="S"))[:48])), {"icmpv6.checksum.status": "good"})
add("eth-icmpv6-packet-too-big", 1, eth(IPv6(src=A6, dst=B6), ICMPv6PacketTooBig(mtu=1280) / Raw(raw(IPv6(src=B6, dst=A6) / UDP(sport=1, dport=2))[:48])), {"icmpv6.checksum.status": "good"})

# --- Other link types ----------------------------------------------------------------------------
add("sll-ipv4-tcp", 113, CookedLinux(pkttype=4, lladdrtype=1, lladdrlen=6, src=b"\x02\x00\x00\x00\x00\x0a\x00\x00") / IP(src=A4, dst=B4) / TCP(sport=1, dport=2, flags="S", options=SYN_OPTS), good)
add("sll-ipv6-udp", 113, CookedLinux(pkttype=0, lladdrtype=772, lladdrlen=6, src=b"\x00" * 8) / IPv6(src=A6, dst=B6) / UDP(sport=1, dport=2), {"udp.checksum.status": "good"})
add("sll2-ipv4-tcp", 276, CookedLinuxV2(pkttype=4, lladdrtype=1, lladdrlen=6, ifindex=3, src=b"\x02\x00\x00\x00\x00\x0b\x00\x00") / IP(src=A4, dst=B4) / TCP(sport=1, dport=2, flags="SA", options=SYN_OPTS), good)
add("sll2-ipv6-tcp", 276, CookedLinuxV2(pkttype=0, lladdrtype=1, lladdrlen=6, ifindex=7, src=b"\x02\x00\x00\x00\x00\x0b\x00\x00") / IPv6(src=A6, dst=B6) / TCP(sport=1, dport=2, flags="R"), good6)
add("null-le-ipv4", 0, Loopback(type=2) / IP(src=A4, dst=B4) / TCP(sport=1, dport=2, flags="S"), good)
add("null-le-ipv6-30", 0, Loopback(type=30) / IPv6(src=A6, dst=B6) / TCP(sport=1, dport=2, flags="S"), good6)
add("null-be-ipv6-24", 0, IPv6(src=A6, dst=B6) / TCP(sport=3, dport=4, flags="A"), good6, prefix=struct.pack(">I", 24),
    prefix_spec=[{"layer": "null", "fields": {"null.big_endian": True, "null.family": 24}}])
add("loop-ipv4", 108, IP(src=A4, dst=B4) / UDP(sport=1, dport=2), {"udp.checksum.status": "good"}, prefix=struct.pack(">I", 2),
    prefix_spec=[{"layer": "null", "fields": {}}])
add("loop-ipv6-28", 108, IPv6(src=A6, dst=B6) / TCP(sport=3, dport=4, flags="A"), good6, prefix=struct.pack(">I", 28),
    prefix_spec=[{"layer": "null", "fields": {"null.family": 28}}])
add("raw-ipv4", 101, IP(src=A4, dst=B4) / TCP(sport=1, dport=2, flags="S", options=SYN_OPTS), good)
add("raw-ipv6", 101, IPv6(src=A6, dst=B6) / TCP(sport=1, dport=2, flags="S", options=SYN_OPTS), good6)
add("ipv4-linktype", 228, IP(src=A4, dst=B4) / ICMP(type=0, id=1, seq=2), {"icmp.checksum.status": "good"})
add("ipv6-linktype", 229, IPv6(src=A6, dst=B6) / ICMPv6EchoReply(id=1, seq=2), {"icmpv6.checksum.status": "good"})



def random_frames(count, seed):
    """Random well-formed frames: random field values, random option sets, tags and extension headers."""
    import random
    rng = random.Random(seed)
    options_pool = [("MSS", lambda: rng.randrange(65536)), ("WScale", lambda: rng.randrange(15)), ("SAckOK", lambda: b""),
                    ("Timestamp", lambda: (rng.randrange(2**32), rng.randrange(2**32))), ("NOP", lambda: None),
                    ("SAck", lambda: tuple(rng.randrange(2**32) for _ in range(2 * rng.randrange(1, 4)))),
                    ("TFO", lambda: bytes(rng.randrange(256) for _ in range(rng.choice([0, 4, 8, 16]))))]
    for index in range(count):
        v6 = rng.random() < 0.4
        if v6:
            src = "2001:db8:%x::%x" % (rng.randrange(65536), rng.randrange(1, 65536))
            dst = rng.choice(["2001:db8::%x" % rng.randrange(65536), "fe80::%x:%x" % (rng.randrange(65536), rng.randrange(65536)), "2001:db8:0:1:0:0:0:%x" % rng.randrange(65536)])
            net = IPv6(src=src, dst=dst, tc=rng.randrange(256), fl=rng.randrange(2**20), hlim=rng.randrange(256))
            for ext in rng.sample([IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting], rng.randrange(0, 3)):
                net = net / ext()
            if rng.random() < 0.2:
                net = net / IPv6ExtHdrFragment(id=rng.randrange(2**32))
        else:
            net = IP(src="198.18.%d.%d" % (rng.randrange(2), rng.randrange(256)), dst="198.19.%d.%d" % (rng.randrange(256), rng.randrange(256)),
                     tos=rng.randrange(256), id=rng.randrange(65536), ttl=rng.randrange(256), flags=rng.choice(["", "DF"]))
            if rng.random() < 0.15:
                net.options = [IPOption_NOP(), IPOption_Router_Alert()]
        kind = rng.random()
        payload = bytes(rng.randrange(256) for _ in range(rng.choice([0, 0, 1, 7, 100])))
        if kind < 0.7:
            opts = []
            budget = 40
            for name, make in rng.sample(options_pool, rng.randrange(0, 5)):
                size = {"MSS": 4, "WScale": 3, "SAckOK": 2, "Timestamp": 10, "NOP": 1, "SAck": 26, "TFO": 18}[name]
                if size <= budget:
                    budget -= size
                    opts.append((name, make()))
            upper = TCP(sport=rng.randrange(65536), dport=rng.randrange(65536), seq=rng.randrange(2**32), ack=rng.randrange(2**32),
                        flags=rng.randrange(512), window=rng.randrange(65536), urgptr=rng.randrange(65536), options=opts)
        elif kind < 0.9:
            upper = UDP(sport=rng.randrange(1024, 65536), dport=rng.randrange(1024, 65536))
        else:
            upper = ICMPv6EchoRequest(id=rng.randrange(65536), seq=rng.randrange(65536)) if v6 else ICMP(type=rng.choice([0, 8]), id=rng.randrange(65536), seq=rng.randrange(65536))
        pkt = net / upper / Raw(payload) if payload else net / upper
        link = rng.choice([1, 1, 1, 113, 276, 0, 101])
        name = "random-%d" % index
        if link == 1:
            frame = Ether(src="02:00:00:%02x:%02x:%02x" % (rng.randrange(256), rng.randrange(256), rng.randrange(256)), dst="02:00:00:00:00:01")
            tags = rng.choice([0, 0, 0, 1, 2])
            for tag in range(tags):
                # two tags: an 802.1ad service tag outside an 802.1Q customer tag
                kind = Dot1AD if tags == 2 and tag == 0 else Dot1Q
                frame = frame / kind(vlan=rng.randrange(4096), prio=rng.randrange(8), id=rng.randrange(2))
            frame = frame / pkt
            if rng.random() < 0.3:
                frame = frame / Padding(b"\x00" * rng.randrange(1, 20))
            add(name, 1, frame)
        elif link == 113:
            add(name, 113, CookedLinux(pkttype=rng.randrange(5), lladdrtype=1, lladdrlen=6, src=bytes(rng.randrange(256) for _ in range(6)) + b"\x00\x00") / pkt)
        elif link == 276:
            add(name, 276, CookedLinuxV2(pkttype=rng.randrange(5), lladdrtype=1, lladdrlen=6, ifindex=rng.randrange(2**31), src=bytes(rng.randrange(256) for _ in range(6)) + b"\x00\x00") / pkt)
        elif link == 0:
            add(name, 0, Loopback(type=30 if v6 else 2) / pkt)
        else:
            add(name, 101, pkt)


if len(sys.argv) > 2 and sys.argv[1] == "--random":
    entries.clear()
    pcaps.clear()
    random_frames(int(sys.argv[2]), int(sys.argv[3]))
    sys.argv = sys.argv[:1] + sys.argv[4:]

for entry in entries:
    print(json.dumps(entry))

if len(sys.argv) > 1:
    for link_type, frames in pcaps.items():
        writer = PcapWriter("%s/linktype-%d.pcap" % (sys.argv[1], link_type), linktype=link_type, sync=True)
        for data in frames:
            writer.write(data)
        writer.close()
