"""
Frames whose decode --json lines exercise every key path of the line writer: SACK edges made
relative, TLS hellos, DNS, HTTP with quotes and non-ASCII text, ICMP errors quoting TCP,
IPv6, a truncated TCP header, a UDP datagram to 443. Writes varied.pcap into DIRECTORY.

Usage: /usr/bin/python3 json-lines.py DIRECTORY
"""
import sys

from scapy.all import IP, IPv6, TCP, UDP, ICMP, Raw, Ether, Dot1Q, DNS, DNSQR, DNSRR, PcapWriter
from scapy.layers.tls.handshake import TLSClientHello
from scapy.layers.tls.record import TLS
from scapy.layers.tls.extensions import TLS_Ext_ServerName, ServerName, TLS_Ext_ALPN, ProtocolName

A, B = "198.18.0.1", "198.18.0.2"
out = PcapWriter(f"{sys.argv[1]}/varied.pcap", linktype=1, sync=True)
t = 1700000000.0


def put(packet):
    global t
    t += 0.001
    frame = packet if isinstance(packet, Ether) else Ether(src="02:00:00:00:00:0a", dst="02:00:00:00:00:0b") / packet
    frame.time = t
    out.write(frame)


# HTTP with a quote, a backslash and non-ASCII in a header, then SACK while data is lost.
put(IP(src=A, dst=B) / TCP(sport=40000, dport=80, flags="S", seq=1000, options=[("MSS", 1460), ("SAckOK", b"")]))
put(IP(src=B, dst=A) / TCP(sport=80, dport=40000, flags="SA", seq=5000, ack=1001, options=[("MSS", 1460), ("SAckOK", b"")]))
put(IP(src=A, dst=B) / TCP(sport=40000, dport=80, flags="A", seq=1001, ack=5001))
put(IP(src=A, dst=B) / TCP(sport=40000, dport=80, flags="PA", seq=1001, ack=5001) / Raw('GET /a"b\\c HTTP/1.1\r\nHost: exämple.test\r\nUser-Agent: \u00e9\u4e2d\r\n\r\n'.encode("utf-8")))
put(IP(src=B, dst=A) / TCP(sport=80, dport=40000, flags="A", seq=5001, ack=1001 + 70, options=[("SAck", (1200, 1300))]))
put(IP(src=B, dst=A) / TCP(sport=80, dport=40000, flags="PA", seq=5001, ack=1001) / Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
# A TLS ClientHello with SNI and ALPN, on a VLAN.
hello = TLS(msg=[TLSClientHello(ext=[TLS_Ext_ServerName(servernames=[ServerName(servername=b"json.example")]), TLS_Ext_ALPN(protocols=[ProtocolName(protocol=b"h2")])])])
put(Ether() / Dot1Q(vlan=7) / IP(src=A, dst=B) / TCP(sport=40001, dport=443, flags="S", seq=1))
put(Ether() / Dot1Q(vlan=7) / IP(src=B, dst=A) / TCP(sport=443, dport=40001, flags="SA", seq=9, ack=2))
put(Ether() / Dot1Q(vlan=7) / IP(src=A, dst=B) / TCP(sport=40001, dport=443, flags="PA", seq=2, ack=10) / hello)
# DNS over UDP, question and answer.
put(IP(src=A, dst=B) / UDP(sport=5353, dport=53) / DNS(id=7, rd=1, qd=DNSQR(qname="json.example")))
put(IP(src=B, dst=A) / UDP(sport=53, dport=5353) / DNS(id=7, qr=1, qd=DNSQR(qname="json.example"), an=DNSRR(rrname="json.example", rdata="198.18.0.9")))
# An ICMP error quoting a TCP segment, IPv6 TCP, a truncated TCP header, UDP to 443.
put(IP(src=B, dst=A) / ICMP(type=3, code=3) / IP(src=A, dst=B) / TCP(sport=40002, dport=81, flags="S"))
put(IPv6(src="2001:db8::1", dst="2001:db8::2") / TCP(sport=40003, dport=22, flags="S", options=[("Timestamp", (1, 0))]))
put(Ether(bytes(Ether() / IP(src=A, dst=B) / TCP(sport=40004, dport=80))[:40]))
put(IP(src=A, dst=B) / UDP(sport=40005, dport=443) / Raw(b"\x40" + b"\x00" * 30))
put(IP(src=A, dst=B, flags="MF", frag=0, proto=6) / Raw(b"\x00" * 24))
out.close()
