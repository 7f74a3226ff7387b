"""Captures for the flow graph tests: interleaved connections between several hosts (IPv4 and
IPv6), a refused SYN, a retransmission, a mid-stream connection, a reused port pair, UDP noise."""
import random
import sys
from scapy.all import IP, IPv6, TCP, UDP, Ether, wrpcap

out = sys.argv[1]
random.seed(14)
E = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")


def conversation(ip, c, s, sp, dp, data=b"hello", close="fin", isn=1000):
    """One connection's frames, each a (key, packet) so several can be interleaved."""
    C = lambda **kw: E / ip(src=c, dst=s) / TCP(sport=sp, dport=dp, **kw)
    S = lambda **kw: E / ip(src=s, dst=c) / TCP(sport=dp, dport=sp, **kw)
    n = len(data)
    frames = [C(flags="S", seq=1000), S(flags="SA", seq=5000, ack=1001), C(flags="A", seq=1001, ack=5001),
              C(flags="PA", seq=1001, ack=5001) / data, S(flags="A", seq=5001, ack=1001 + n),
              S(flags="PA", seq=5001, ack=1001 + n) / (data * 2), C(flags="A", seq=1001 + n, ack=5001 + 2 * n)]
    if close == "fin":
        frames += [C(flags="FA", seq=1001 + n, ack=5001 + 2 * n), S(flags="FA", seq=5001 + 2 * n, ack=1002 + n),
                   C(flags="A", seq=1002 + n, ack=5002 + 2 * n)]
    else:
        frames += [S(flags="RA", seq=5001 + 2 * n, ack=1001 + n)]
    base = isn - 1000
    for p in frames:
        if p[TCP].sport == sp:
            p[TCP].seq = (p[TCP].seq + base) % 2**32
        elif p[TCP].flags & 0x10:
            p[TCP].ack = (p[TCP].ack + base) % 2**32
    return frames


def write(name, streams):
    """Interleaves the streams at random while keeping each one's order."""
    queues = [list(s) for s in streams]
    packets = []
    t = 1700000000.0
    while any(queues):
        q = random.choice([q for q in queues if q])
        p = q.pop(0)
        t += random.uniform(0.0001, 0.01)
        p.time = t
        packets.append(p)
    wrpcap(f"{out}/{name}.pcap", packets)


write("interleaved", [
    conversation(IP, "198.18.0.1", "198.18.0.2", 40000, 80),
    conversation(IP, "198.18.0.3", "198.18.0.2", 40001, 443, b"a<b>;#c%", close="rst"),
    conversation(IP, "198.18.0.2", "198.18.0.4", 50000, 22),
    conversation(IPv6, "2001:db8::1", "2001:db8::2", 40002, 80),
    [E / IP(src="198.18.0.1", dst="198.18.0.9") / UDP(sport=5353, dport=53) / b"x"],
    # A refused SYN, then a retransmitted data segment on its own connection.
    [E / IP(src="198.18.0.5", dst="198.18.0.2") / TCP(sport=40003, dport=81, flags="S", seq=7),
     E / IP(src="198.18.0.2", dst="198.18.0.5") / TCP(sport=81, dport=40003, flags="RA", seq=0, ack=8)],
    # Mid-stream: no handshake seen.
    [E / IP(src="198.18.0.6", dst="198.18.0.7") / TCP(sport=1234, dport=5678, flags="PA", seq=99, ack=77) / b"zz",
     E / IP(src="198.18.0.7", dst="198.18.0.6") / TCP(sport=5678, dport=1234, flags="A", seq=77, ack=101)],
])

retrans = conversation(IP, "198.18.0.1", "198.18.0.2", 40010, 80)
retrans.insert(4, retrans[3].copy())
# The same port pair again after the first connection closed: a new tcp.stream.
write("retransmission", [retrans + conversation(IP, "198.18.0.1", "198.18.0.2", 40010, 80, b"again", isn=900000)])

# Loopback: both ends share one address, so every arrow starts and ends in the one column.
write("loopback", [conversation(IP, "127.0.0.1", "127.0.0.1", 45000, 8080)])
