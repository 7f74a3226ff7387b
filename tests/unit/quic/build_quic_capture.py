"""Builds a pcap of QUIC handshakes for tests/unit/quic/scenario.test.ts, independently of the
TypeScript code: keys and packet protection come from the `cryptography` library (HKDF,
AES-ECB, AES-GCM) following RFC 9001 §5 / RFC 9369 §3.3, TLS hellos from Scapy's TLS layer.

usage: /usr/bin/python3 build_quic_capture.py OUT.pcap
"""
import struct
import sys

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from scapy.all import IP, UDP, Ether, raw, wrpcap
from scapy.layers.tls.all import (
    ProtocolName, ServerName, TLS_Ext_ALPN, TLS_Ext_ServerName, TLS_Ext_SupportedVersion_CH,
    TLS_Ext_SupportedVersion_SH, TLSClientHello, TLSServerHello)

V1, V2 = 0x00000001, 0x6B3343CF
VERSIONS = {
    V1: dict(salt="38762cf7f55934b34d179ae6a4c80cadccbb7f0a", prefix="quic",
             types=dict(initial=0, zero_rtt=1, handshake=2, retry=3),
             retry_key="be0c690b9f66575a1d766b54e368c84e", retry_nonce="461599d35d632bf2239825bb"),
    V2: dict(salt="0dede3def700a6db819381be6e269dcbf9bd2ed9", prefix="quicv2",
             types=dict(initial=1, zero_rtt=2, handshake=3, retry=0),
             retry_key="8fb4b01b56ac48e260fbcbcead7ccc92", retry_nonce="d86969bc2d7c6d9990efb04a"),
}


def hkdf_extract(salt, ikm):
    mac = hmac.HMAC(salt, hashes.SHA256())
    mac.update(ikm)
    return mac.finalize()


def expand_label(secret, label, length):
    full = b"tls13 " + label.encode()
    info = struct.pack("!HB", length, len(full)) + full + b"\x00"
    return HKDFExpand(hashes.SHA256(), length, info).derive(secret)


def initial_keys(version, dcid, side):
    v = VERSIONS[version]
    secret = expand_label(hkdf_extract(bytes.fromhex(v["salt"]), dcid), side + " in", 32)
    p = v["prefix"]
    return expand_label(secret, p + " key", 16), expand_label(secret, p + " iv", 12), expand_label(secret, p + " hp", 16)


def varint(value, size=None):
    size = size or (1 if value < 0x40 else 2 if value < 0x4000 else 4)
    prefix = {1: 0, 2: 0x40, 4: 0x80, 8: 0xC0}[size]
    data = value.to_bytes(size, "big")
    return bytes([data[0] | prefix]) + data[1:]


def crypto_frame(offset, data):
    return b"\x06" + varint(offset) + varint(len(data)) + data


def long_header(version, kind, dcid, scid, pn_length):
    first = 0xC0 | (VERSIONS[version]["types"][kind] << 4) | (pn_length - 1)
    return bytes([first]) + struct.pack("!I", version) + bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid


def protect(version, kind, dcid, scid, pn, payload, keys, token=b"", pn_length=2, pad_to=0):
    key, iv, hp = keys
    header = long_header(version, kind, dcid, scid, pn_length)
    if kind == "initial":
        header += varint(len(token)) + token
    if pad_to:  # PADDING frames so the whole packet is pad_to bytes
        payload += b"\x00" * max(0, pad_to - (len(header) + 2 + pn_length + len(payload) + 16))
    header += varint(pn_length + len(payload) + 16, 2) + pn.to_bytes(pn_length, "big")
    nonce = (int.from_bytes(iv, "big") ^ pn).to_bytes(12, "big")
    sealed = AESGCM(key).encrypt(nonce, payload, header)
    sample = sealed[4 - pn_length:20 - pn_length]
    encryptor = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = encryptor.update(sample) + encryptor.finalize()
    protected = bytearray(header)
    protected[0] ^= mask[0] & 0x0F
    for i in range(pn_length):
        protected[len(header) - pn_length + i] ^= mask[1 + i]
    return bytes(protected) + sealed


def retry(version, dcid, scid, token, original_dcid):
    v = VERSIONS[version]
    body = long_header(version, "retry", dcid, scid, 1)[:]  # low bits are unused in Retry
    body = bytes([body[0] & 0xF0]) + body[1:] + token
    pseudo = bytes([len(original_dcid)]) + original_dcid + body
    tag = AESGCM(bytes.fromhex(v["retry_key"])).encrypt(bytes.fromhex(v["retry_nonce"]), b"", pseudo)
    return body + tag


def client_hello(sni, alpn):
    return raw(TLSClientHello(ciphers=[0x1301, 0x1302, 0x1303], ext=[
        TLS_Ext_ServerName(servernames=[ServerName(servername=sni.encode())]),
        TLS_Ext_ALPN(protocols=[ProtocolName(protocol=p.encode()) for p in alpn]),
        TLS_Ext_SupportedVersion_CH(versions=[0x0304])]))


def server_hello():
    return raw(TLSServerHello(version=0x0303, cipher=0x1302, ext=[TLS_Ext_SupportedVersion_SH(version=0x0304)]))


frames = []
def datagram(src, sport, dst, dport, payload):
    frames.append(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / payload)

# Attempt 1 (v1): Initial with the ClientHello in two out-of-order CRYPTO frames; the server
# answers with a Retry; the client retries with the token under keys from the Retry's SCID;
# the server's Initial (ACK + ServerHello) comes coalesced with a Handshake packet.
A_CLIENT, A_SERVER = ("198.18.7.1", 50001), ("198.18.7.2", 443)
odcid, client_scid, retry_scid, server_scid = bytes.fromhex("0011223344556677"), bytes.fromhex("c1c1c1c1"), bytes.fromhex("5e5e5e5e5e5e5e5e"), bytes.fromhex("abcdef0102")
hello = client_hello("retry.scenario.test", ["h3", "h3-29"])
split = 57
first_flight = crypto_frame(split, hello[split:]) + b"\x01" + crypto_frame(0, hello[:split])
datagram(*A_CLIENT, *A_SERVER, protect(V1, "initial", odcid, client_scid, 0, first_flight, initial_keys(V1, odcid, "client"), pad_to=1200))
datagram(*A_SERVER, *A_CLIENT, retry(V1, client_scid, retry_scid, b"retry-token", odcid))
second_flight = crypto_frame(0, hello[:split]) + crypto_frame(split, hello[split:])
datagram(*A_CLIENT, *A_SERVER, protect(V1, "initial", retry_scid, client_scid, 1, second_flight, initial_keys(V1, retry_scid, "client"), token=b"retry-token", pad_to=1200))
server_initial = protect(V1, "initial", client_scid, server_scid, 0, b"\x02\x01\x00\x00\x01" + crypto_frame(0, server_hello()), initial_keys(V1, retry_scid, "server"))
handshake = long_header(V1, "handshake", client_scid, server_scid, 2) + varint(2 + 40, 2) + b"\x00\x00" + bytes(range(40))
datagram(*A_SERVER, *A_CLIENT, server_initial + handshake)

# Attempt 2 (QUIC v2, RFC 9369): a single Initial with the whole ClientHello.
B_CLIENT, B_SERVER = ("198.18.7.3", 50002), ("198.18.7.2", 443)
dcid_v2 = bytes.fromhex("feedfacecafebeef")
datagram(*B_CLIENT, *B_SERVER, protect(V2, "initial", dcid_v2, b"", 0, crypto_frame(0, client_hello("v2.scenario.test", ["h3"])), initial_keys(V2, dcid_v2, "client"), pad_to=1200))

# Attempt 3: a client offering an unknown version gets Version Negotiation (RFC 9000 §17.2.1).
C_CLIENT, C_SERVER = ("198.18.7.4", 50003), ("198.18.7.2", 443)
unknown_dcid, unknown_scid = bytes.fromhex("0102030405060708"), bytes.fromhex("aabb")
unknown = bytes([0xC0]) + struct.pack("!I", 0x1A2A3A4A) + bytes([8]) + unknown_dcid + bytes([2]) + unknown_scid
datagram(*C_CLIENT, *C_SERVER, unknown + b"\x00" * (1200 - len(unknown)))
vn = bytes([0x80 | 0x2A]) + struct.pack("!I", 0) + bytes([2]) + unknown_scid + bytes([8]) + unknown_dcid + struct.pack("!II", V1, V2)
datagram(*C_SERVER, *C_CLIENT, vn)

# After the handshake: a short-header (1-RTT) packet on attempt 1's 4-tuple, addressed to the
# server's connection ID, and an unrelated UDP datagram whose first byte also looks short.
datagram(*A_CLIENT, *A_SERVER, bytes([0x41]) + server_scid + bytes(range(30)))
datagram("198.18.7.9", 5353, "198.18.7.2", 53, bytes([0x45]) + bytes(20))

for index, frame in enumerate(frames):
    frame.time = 1_700_000_000 + index / 100
wrpcap(sys.argv[1], frames)
