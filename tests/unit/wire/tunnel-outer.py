"""Tunnelled frames for the outer-encapsulation column test: writes DIRECTORY/tunnels.pcap."""
import sys

from scapy.all import GRE, IP, IPv6, TCP, UDP, Ether, wrpcap
from scapy.contrib.erspan import ERSPAN_II
from scapy.contrib.geneve import GENEVE
from scapy.contrib.mpls import MPLS
from scapy.layers.vxlan import VXLAN

inner = IP(src="198.18.9.1", dst="198.18.9.2") / TCP(sport=40000, dport=8080, flags="S")
inner6 = IPv6(src="2001:db8::9:1", dst="2001:db8::9:2") / TCP(sport=40001, dport=8080, flags="S")
eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
ieth = Ether(src="02:00:00:00:01:01", dst="02:00:00:00:01:02")
outer = IP(src="198.18.0.1", dst="198.18.0.2")
frames = [
    eth / outer / UDP(sport=50000, dport=4789) / VXLAN(vni=42) / ieth / inner,
    eth / outer / UDP(sport=50001, dport=6081) / GENEVE(vni=7, proto=0x6558) / ieth / inner,
    eth / outer / GRE(key_present=1, key=0xABCD, proto=0x0800) / inner,
    eth / outer / GRE(seqnum_present=1, seqence_number=1, proto=0x88BE) / ERSPAN_II(session_id=5) / ieth / inner,
    Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02", type=0x8847) / MPLS(label=16, s=0) / MPLS(label=17, s=1) / inner,
    eth / IP(src="198.18.0.3", dst="198.18.0.4", proto=4) / inner,
    eth / IP(src="198.18.0.5", dst="198.18.0.6", proto=41) / inner6,
    eth / IP(src="198.18.0.7", dst="198.18.0.8") / TCP(sport=1, dport=2),
    eth / outer / UDP(sport=50002, dport=4789) / VXLAN(vni=42) / ieth / inner6,
]
wrpcap(sys.argv[1] + "/tunnels.pcap", frames)
