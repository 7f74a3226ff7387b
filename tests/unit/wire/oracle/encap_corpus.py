"""
Builds the link-type and encapsulation corpus with Scapy (and by hand where Scapy has no layer):
short TCP conversations carried over every link type and tunnel the decoder follows, so tshark
(the oracle) can be asked frame by frame for addresses, ports, tcp.stream, the link layer's
fields and Info.

Prints one JSON line per frame: {"file", "linkType", "name", "hex", "frameLength"}.
Writes one pcap per file name into the directory given as the first argument.

Usage: /usr/bin/python3 encap_corpus.py DIRECTORY
"""
import json
import struct
import sys

from scapy.all import IP, IPv6, TCP, UDP, Raw, Ether, Dot1Q, Dot1AD, PcapWriter, raw, fragment
from scapy.layers.dot11 import RadioTap, Dot11, Dot11QoS, Dot11Beacon, Dot11Elt
from scapy.layers.l2 import LLC, SNAP, GRE
from scapy.layers.ppp import PPP, HDLC, PPPoE, PPPoED
from scapy.layers.vxlan import VXLAN
from scapy.contrib.geneve import GENEVE, GeneveOptions
from scapy.contrib.mpls import MPLS
from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III
from scapy.layers.inet6 import IPv6ExtHdrFragment

A, B = "198.18.0.1", "198.18.0.2"
OUTER_A, OUTER_B = "198.18.1.1", "198.18.1.2"
A6, B6 = "2001:db8::1", "2001:db8::2"
MAC_A, MAC_B = "02:00:00:00:00:0a", "02:00:00:00:00:0b"

frames = []  # (file, link_type, name, bytes, frame_length)


def add(file, link_type, name, data, frame_length=None):
    data = bytes(data)
    frames.append((file, link_type, name, data, frame_length or len(data)))


def conversation(src=None, dst=None, sport=40000, dport=80, v6=False):
    """SYN, SYN+ACK, ACK, a request and its ACK: enough for tracking to give a stream and states."""
    src = src or (A6 if v6 else A)
    dst = dst or (B6 if v6 else B)
    net = (lambda s, d: IPv6(src=s, dst=d)) if v6 else (lambda s, d: IP(src=s, dst=d, id=1, flags="DF"))
    return [
        net(src, dst) / TCP(sport=sport, dport=dport, flags="S", seq=1000, options=[("MSS", 1460), ("SAckOK", b"")]),
        net(dst, src) / TCP(sport=dport, dport=sport, flags="SA", seq=5000, ack=1001, options=[("MSS", 1400)]),
        net(src, dst) / TCP(sport=sport, dport=dport, flags="A", seq=1001, ack=5001),
        net(src, dst) / TCP(sport=sport, dport=dport, flags="PA", seq=1001, ack=5001) / Raw(b"GET / HTTP/1.1\r\n\r\n"),
        net(dst, src) / TCP(sport=dport, dport=sport, flags="A", seq=5001, ack=1019),
    ]


def reply_of(index):
    return index in (1, 4)


# --- 802.11 with radiotap (127) -----------------------------------------------------------------
BSSID, STA, GW = "02:00:00:00:01:00", "02:00:00:00:01:0a", "02:00:00:00:01:0b"


def wifi(pkt, index, qos=False):
    to_ds = not reply_of(index)
    dot11 = Dot11(type=2, subtype=8 if qos else 0, FCfield="to-DS" if to_ds else "from-DS", SC=index << 4,
                  addr1=BSSID if to_ds else STA, addr2=STA if to_ds else BSSID, addr3=GW if to_ds else GW)
    body = (Dot11QoS(TID=5) if qos else b"")
    return RadioTap(present="Flags+Rate", Flags=0, Rate=12) / dot11 / body / LLC(dsap=0xAA, ssap=0xAA, ctrl=3) / SNAP(OUI=0, code=0x0800 if IP in pkt else 0x86DD) / pkt


for i, pkt in enumerate(conversation(sport=40001)):
    add("wlan", 127, "wlan-data-%d" % i, wifi(pkt, i))
for i, pkt in enumerate(conversation(sport=40002, v6=True)):
    add("wlan", 127, "wlan-qos-v6-%d" % i, wifi(pkt, i, qos=True))
# Radiotap with TSFT (8-byte aligned) and an FCS at the end of the frame
with_fcs = RadioTap(present="TSFT+Flags", mac_timestamp=123456, Flags="FCS") / Dot11(type=2, subtype=0, FCfield="to-DS", addr1=BSSID, addr2=STA, addr3=GW) / LLC(dsap=0xAA, ssap=0xAA, ctrl=3) / SNAP(OUI=0, code=0x0800) / IP(src=A, dst=B) / TCP(sport=40003, dport=80, flags="S")
add("wlan", 127, "wlan-fcs", raw(with_fcs) + b"\xde\xad\xbe\xef")
add("wlan", 127, "wlan-protected", RadioTap() / Dot11(type=2, subtype=8, FCfield="to-DS+protected", addr1=BSSID, addr2=STA, addr3=GW) / Dot11QoS(TID=0) / Raw(bytes.fromhex("0100002000000000") + b"\x5a" * 40))
add("wlan", 127, "wlan-beacon", RadioTap() / Dot11(type=0, subtype=8, addr1="ff:ff:ff:ff:ff:ff", addr2=BSSID, addr3=BSSID) / Dot11Beacon() / Dot11Elt(ID=0, info=b"lab"))

# --- PPP (9), PPP in HDLC-like framing (50) ----------------------------------------------------
for i, pkt in enumerate(conversation(sport=40010)):
    add("ppp", 9, "ppp-%d" % i, HDLC() / PPP(proto=0x0021) / pkt)
for i, pkt in enumerate(conversation(sport=40011, v6=True)):
    add("ppp", 9, "ppp-v6-%d" % i, HDLC() / PPP(proto=0x0057) / pkt)
for i, pkt in enumerate(conversation(sport=40012)):
    add("ppp-hdlc", 50, "ppp-hdlc-%d" % i, HDLC() / PPP(proto=0x0021) / pkt)

# --- PPPoE over Ethernet ------------------------------------------------------------------------
add("pppoe", 1, "pppoe-padi", Ether(src=MAC_A, dst="ff:ff:ff:ff:ff:ff") / PPPoED(code=0x09, sessionid=0) / Raw(bytes.fromhex("01010000")))
for i, pkt in enumerate(conversation(sport=40020)):
    add("pppoe", 1, "pppoe-session-%d" % i, Ether(src=MAC_A, dst=MAC_B) / PPPoE(sessionid=0x1234) / PPP(proto=0x0021) / pkt)


# --- Linux NFLOG (239), by hand: family, version, resource id, then TLVs (host byte order) ------
def nflog(pkt, family=2, prefix=b"lab"):
    def tlv(kind, value):
        body = struct.pack("<HH", 4 + len(value), kind) + value
        return body + b"\x00" * (-len(body) % 4)
    payload = raw(pkt)
    return struct.pack("!BBH", family, 0, 7) + tlv(1, struct.pack("!HBx", 0x0800 if family == 2 else 0x86DD, 3)) + tlv(10, prefix + b"\x00") + tlv(4, struct.pack("!I", 2)) + tlv(9, payload)


for i, pkt in enumerate(conversation(sport=40030)):
    add("nflog", 239, "nflog-%d" % i, nflog(pkt))
for i, pkt in enumerate(conversation(sport=40031, v6=True)):
    add("nflog", 239, "nflog-v6-%d" % i, nflog(pkt, family=10))


# --- macOS PKTAP (258), by hand: a 108-byte little-endian header, then the frame of its DLT --------
def pktap(inner, dlt=1, ifname=b"en0", pid=4242, comm=b"curl"):
    header = struct.pack("<III", 108, 1, dlt) + ifname.ljust(24, b"\x00")[:24]
    header += struct.pack("<IIII", 0, 2, 14 if dlt == 1 else 0, 0)  # flags, protocol family, link header and trailer lengths
    header += struct.pack("<i", pid) + comm.ljust(17, b"\x00")[:17] + b"\x00" * 3
    header += struct.pack("<IHHi", 0, 6, 0, pid) + comm.ljust(17, b"\x00")[:17] + b"\x00" * 3
    assert len(header) == 108, len(header)
    return header + raw(inner)


for i, pkt in enumerate(conversation(sport=40040)):
    add("pktap", 258, "pktap-%d" % i, pktap(Ether(src=MAC_A, dst=MAC_B) / pkt))

# --- Cisco HDLC (104) and IP over InfiniBand (242), by hand -------------------------------------
for i, pkt in enumerate(conversation(sport=40050)):
    add("chdlc", 104, "chdlc-%d" % i, struct.pack("!BBH", 0x0F, 0, 0x0800) + raw(pkt))
for i, pkt in enumerate(conversation(sport=40051, v6=True)):
    add("chdlc", 104, "chdlc-v6-%d" % i, struct.pack("!BBH", 0x8F, 0, 0x86DD) + raw(pkt))
for i, pkt in enumerate(conversation(sport=40060)):
    # A 40-byte global route header (version 6, source and destination GIDs) before RFC 4391's 4 bytes
    grh = bytes([0x60]) + b"\x00" * 7 + bytes.fromhex("fe800000000000000002c9030000abcd") + bytes.fromhex("fe800000000000000002c9030000dcba")
    add("ipoib", 242, "ipoib-%d" % i, grh + struct.pack("!HH", 0x0800, 0) + raw(pkt))

# --- Juniper Ethernet (178), by hand: "MGC", flags, optional extension TLVs, Ethernet ------------
for i, pkt in enumerate(conversation(sport=40070)):
    ext = struct.pack("!BB I", 1, 4, 0x2A)  # TLV: interface device index (1), length 4
    head = b"MGC" + bytes([0x80 | (0x01 if not reply_of(i) else 0x00)]) + struct.pack("!H", len(ext)) + ext
    add("juniper", 178, "juniper-%d" % i, head + raw(Ether(src=MAC_A, dst=MAC_B) / pkt))

# --- Linux SLL2 (276) -------------------------------------------------------------------------------
from scapy.layers.l2 import CookedLinuxV2
for i, pkt in enumerate(conversation(sport=40080)):
    add("sll2", 276, "sll2-%d" % i, CookedLinuxV2(pkttype=0 if reply_of(i) else 4, lladdrtype=1, lladdrlen=6, ifindex=2, src=b"\x02\x00\x00\x00\x00\x0a\x00\x00") / pkt)

# --- A link type nobody decodes ---------------------------------------------------------------------
add("unknown", 147, "user0", b"\x01\x02\x03\x04" * 8)


# --- Tunnels over Ethernet ------------------------------------------------------------------------
def outer(payload, proto=None):
    ip = IP(src=OUTER_A, dst=OUTER_B, id=9) if proto is None else IP(src=OUTER_A, dst=OUTER_B, id=9, proto=proto)
    return Ether(src=MAC_A, dst=MAC_B) / ip / payload


INNER_ETH = lambda pkt: Ether(src="02:00:00:00:02:0a", dst="02:00:00:00:02:0b") / pkt

# VXLAN: two VNIs carry the same inner connection, and a third frame set with a different inner port
for vni in (100, 200):
    for i, pkt in enumerate(conversation(sport=40100)):
        add("vxlan", 1, "vxlan-%d-%d" % (vni, i), outer(UDP(sport=50000 + i, dport=4789) / VXLAN(vni=vni) / INNER_ETH(pkt)))
for i, pkt in enumerate(conversation(sport=40101, v6=True)):
    add("vxlan", 1, "vxlan-v6-%d" % i, outer(UDP(sport=50010, dport=4789) / VXLAN(vni=300) / INNER_ETH(pkt)))

# Geneve with options, carrying Ethernet and (proto 0x0800) bare IPv4
opts = [GeneveOptions(classid=0x0102, type=0x80, data=b"\x00\x00\x00\x2a"), GeneveOptions(classid=0xFFFF, type=0x01, data=b"\x01\x02\x03\x04\x05\x06\x07\x08")]
for i, pkt in enumerate(conversation(sport=40110)):
    add("geneve", 1, "geneve-eth-%d" % i, outer(UDP(sport=51000, dport=6081) / GENEVE(vni=0x123456, proto=0x6558, options=opts) / INNER_ETH(pkt)))
for i, pkt in enumerate(conversation(sport=40111)):
    add("geneve", 1, "geneve-ip-%d" % i, outer(UDP(sport=51001, dport=6081) / GENEVE(vni=77, proto=0x0800) / pkt))

# GRE: plain IPv4 payload; with key and sequence number; transparent Ethernet bridging; checksum
for i, pkt in enumerate(conversation(sport=40120)):
    add("gre", 1, "gre-plain-%d" % i, outer(GRE(proto=0x0800) / pkt))
for i, pkt in enumerate(conversation(sport=40121)):
    add("gre", 1, "gre-key-seq-%d" % i, outer(GRE(key_present=1, key=0xABCD, seqnum_present=1, seqence_number=i + 1, proto=0x0800) / pkt))
for i, pkt in enumerate(conversation(sport=40122)):
    add("gre", 1, "gre-teb-csum-%d" % i, outer(GRE(chksum_present=1, proto=0x6558) / INNER_ETH(pkt)))
for i, pkt in enumerate(conversation(sport=40123, v6=True)):
    add("gre", 1, "gre-v6-%d" % i, outer(GRE(proto=0x86DD) / pkt))
# ERSPAN type II (GRE 0x88be with a sequence number) and type III (0x22eb)
for i, pkt in enumerate(conversation(sport=40130)):
    add("erspan", 1, "erspan2-%d" % i, outer(GRE(seqnum_present=1, seqence_number=i, proto=0x88BE) / ERSPAN_II(ver=1, vlan=10, session_id=5, index=3) / INNER_ETH(pkt)))
for i, pkt in enumerate(conversation(sport=40131)):
    add("erspan", 1, "erspan3-%d" % i, outer(GRE(seqnum_present=1, seqence_number=i, proto=0x22EB) / ERSPAN_III(vlan=20, session_id=6, timestamp=1000 + i, hw=2, d=1) / INNER_ETH(pkt)))

# MPLS label stacks (two labels) over Ethernet, IPv4 and IPv6 inside
for i, pkt in enumerate(conversation(sport=40140)):
    add("mpls", 1, "mpls-%d" % i, Ether(src=MAC_A, dst=MAC_B, type=0x8847) / MPLS(label=16, cos=1, s=0, ttl=64) / MPLS(label=1000 + (i % 2), s=1, ttl=63) / pkt)
for i, pkt in enumerate(conversation(sport=40141, v6=True)):
    add("mpls", 1, "mpls-v6-%d" % i, Ether(src=MAC_A, dst=MAC_B, type=0x8847) / MPLS(label=2000, s=1, ttl=9) / pkt)

# 802.1ad QinQ
for i, pkt in enumerate(conversation(sport=40150)):
    add("qinq", 1, "qinq-%d" % i, Ether(src=MAC_A, dst=MAC_B, type=0x88A8) / Dot1AD(vlan=300, prio=1) / Dot1Q(vlan=42) / pkt)

# IP-in-IP, 6in4 and IPv4-in-IPv6
for i, pkt in enumerate(conversation(sport=40160)):
    add("ipip", 1, "ipip-%d" % i, outer(pkt, proto=4))
for i, pkt in enumerate(conversation(sport=40161, v6=True)):
    add("ipip", 1, "6in4-%d" % i, outer(pkt, proto=41))
for i, pkt in enumerate(conversation(sport=40162)):
    add("ipip", 1, "4in6-%d" % i, Ether(src=MAC_A, dst=MAC_B) / IPv6(src="2001:db8:1::1", dst="2001:db8:1::2", nh=4) / pkt)

print_only = len(sys.argv) < 2
for file, link_type, name, data, frame_length in frames:
    print(json.dumps({"file": file, "linkType": link_type, "name": name, "hex": data.hex(), "frameLength": frame_length}))

if not print_only:
    writers, counts = {}, {}
    for file, link_type, name, data, frame_length in frames:
        if file not in writers:
            writers[file] = PcapWriter("%s/%s.pcap" % (sys.argv[1], file), linktype=link_type, sync=True)
            counts[file] = 0
        # Frame i of a file is stamped 1000 + i seconds, which the tests give the tracker too.
        record = Raw(data)
        record.time = 1000 + counts[file]
        writers[file].write(record)
        counts[file] += 1
    for writer in writers.values():
        writer.close()
