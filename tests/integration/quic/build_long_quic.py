"""Builds a long QUIC v1 connection for tests, independently of the TypeScript code: keys and
packet protection from the `cryptography` library (RFC 9001 §5, key update §6), the TLS hellos
from Scapy's TLS layer, the pcap written by hand so 100,000+ frames take seconds.

  client Initial (ClientHello), server Initial (ServerHello, AES-128-GCM), then COUNT short-header
  packets: the client's carry a 4-byte STREAM frame on stream 0 (offset 4*k), every 1000th a PING
  too, and its 2-byte packet numbers wrap past 65535; every 50th packet the server ACKs. The
  client updates its keys (Key Phase 1) at packet UPDATE_AT.

usage: /usr/bin/python3 build_long_quic.py OUT.pcap KEYLOG COUNT
"""
import struct
import sys

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from scapy.all import raw
from scapy.layers.tls.all import (
    ProtocolName, ServerName, TLS_Ext_ALPN, TLS_Ext_ServerName, TLS_Ext_SupportedVersion_CH,
    TLS_Ext_SupportedVersion_SH, TLSClientHello, TLSServerHello)

out_path, keylog_path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
UPDATE_AT = count * 3 // 5
SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")


def expand_label(secret, label, length):
    full = b"tls13 " + label.encode()
    info = struct.pack("!HB", length, len(full)) + full + b"\x00"
    return HKDFExpand(hashes.SHA256(), length, info).derive(secret)


def initial_secret(dcid, side):
    mac = hmac.HMAC(SALT_V1, hashes.SHA256())
    mac.update(dcid)
    return expand_label(mac.finalize(), side + " in", 32)


class Keys:
    def __init__(self, secret, hp=None):
        self.secret = secret
        self.aead = AESGCM(expand_label(secret, "quic key", 16))
        self.iv = int.from_bytes(expand_label(secret, "quic iv", 12), "big")
        hp_key = hp or expand_label(secret, "quic hp", 16)
        self.hp_key = hp_key
        self.hp = Cipher(algorithms.AES(hp_key), modes.ECB()).encryptor()

    def updated(self):
        # RFC 9001 §6.1: new packet keys, the header-protection key stays.
        return Keys(expand_label(self.secret, "quic ku", 32), self.hp_key)


def varint(value, size=None):
    size = size or (1 if value < 0x40 else 2 if value < 0x4000 else 4 if value < 0x40000000 else 8)
    data = value.to_bytes(size, "big")
    return bytes([data[0] | {1: 0, 2: 0x40, 4: 0x80, 8: 0xC0}[size]]) + data[1:]


def seal(keys, header, pn, pn_length, payload, short):
    nonce = (keys.iv ^ pn).to_bytes(12, "big")
    sealed = keys.aead.encrypt(nonce, payload, header)
    sample = sealed[4 - pn_length:20 - pn_length]
    mask = keys.hp.update(sample)
    protected = bytearray(header)
    protected[0] ^= mask[0] & (0x1F if short else 0x0F)
    for i in range(pn_length):
        protected[len(header) - pn_length + i] ^= mask[1 + i]
    return bytes(protected) + sealed


def initial(dcid, scid, pn, payload, keys, pad_to=0):
    header = bytes([0xC0 | 1]) + struct.pack("!I", 1) + bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid + varint(0)
    if pad_to:
        payload += b"\x00" * max(0, pad_to - (len(header) + 2 + 2 + len(payload) + 16))
    header += varint(2 + len(payload) + 16, 2) + pn.to_bytes(2, "big")
    return seal(keys, header, pn, 2, payload, False)


def short(dcid, pn, pn_length, key_phase, payload, keys):
    header = bytes([0x40 | (key_phase << 2) | (pn_length - 1)]) + dcid + (pn % (1 << (8 * pn_length))).to_bytes(pn_length, "big")
    return seal(keys, header, pn, pn_length, payload, True)


client_random = bytes(range(0x10, 0x30))
hello = raw(TLSClientHello(gmt_unix_time=int.from_bytes(client_random[:4], "big"), random_bytes=client_random[4:], ciphers=[0x1301], ext=[
    TLS_Ext_ServerName(servernames=[ServerName(servername=b"long.quic.test")]),
    TLS_Ext_ALPN(protocols=[ProtocolName(protocol=b"h3")]),
    TLS_Ext_SupportedVersion_CH(versions=[0x0304])]))
assert hello[6:38] == client_random
server_hello = raw(TLSServerHello(version=0x0303, cipher=0x1301, ext=[TLS_Ext_SupportedVersion_SH(version=0x0304)]))

client_secret = bytes([0xC1] * 32)
server_secret = bytes([0x5E] * 32)
with open(keylog_path, "w") as keylog:
    keylog.write(f"CLIENT_TRAFFIC_SECRET_0 {client_random.hex()} {client_secret.hex()}\n")
    keylog.write(f"SERVER_TRAFFIC_SECRET_0 {client_random.hex()} {server_secret.hex()}\n")

odcid, client_cid, server_cid = bytes.fromhex("8394c8f03e515708"), bytes.fromhex("c1c1c1c1c1c1c1c1"), bytes.fromhex("5e5e5e5e5e5e5e5e")
CLIENT = (bytes([198, 18, 9, 1]), 50443)
SERVER = (bytes([198, 18, 9, 2]), 443)

pcap = open(out_path, "wb")
pcap.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
frame_count = 0


def checksum(header):
    total = sum(struct.unpack("!10H", header))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def send(source, destination, payload):
    global frame_count
    udp = struct.pack("!HHHH", source[1], destination[1], 8 + len(payload), 0) + payload
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, source[0], destination[0]))
    ip[10:12] = struct.pack("!H", checksum(bytes(ip)))
    frame = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + bytes(ip) + udp
    seconds, micros = divmod(frame_count * 100, 1_000_000)
    pcap.write(struct.pack("<IIII", 1_700_000_000 + seconds, micros, len(frame), len(frame)) + frame)
    frame_count += 1


def crypto(data):
    return b"\x06" + varint(0) + varint(len(data)) + data


send(CLIENT, SERVER, initial(odcid, client_cid, 0, crypto(hello), Keys(initial_secret(odcid, "client")), pad_to=1200))
send(SERVER, CLIENT, initial(client_cid, server_cid, 0, b"\x02\x00\x00\x00\x00" + crypto(server_hello), Keys(initial_secret(odcid, "server"))))

client_keys, server_keys = Keys(client_secret), Keys(server_secret)
server_pn = 0
for k in range(count):
    if k == UPDATE_AT:
        client_keys = client_keys.updated()
    phase = 1 if k >= UPDATE_AT else 0
    payload = (b"\x01" if k % 1000 == 999 else b"") + b"\x0e\x00" + varint(4 * k) + b"\x04" + struct.pack("!I", k)
    send(CLIENT, SERVER, short(server_cid, k, 2, phase, payload, client_keys))
    if k % 50 == 49:
        ack = b"\x02" + varint(k) + b"\x00\x00" + varint(min(k, 20))
        send(SERVER, CLIENT, short(client_cid, server_pn, 1, 0, ack, server_keys))
        server_pn += 1
pcap.close()
print(frame_count)
