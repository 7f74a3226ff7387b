# Hand-packs pcapng blocks with struct, independently of the TypeScript reader and writer.
# Usage: pcapng_builder.py SCENARIO OUT_FILE ENDIAN(< or >)
# Prints one JSON line per frame it wrote: expected hex data, comments, flags and block offset.
import json, struct, sys

scenario, out_path, E = sys.argv[1], sys.argv[2], sys.argv[3]
expected = []

def pad(b):
    return b + b'\0' * ((4 - len(b) % 4) % 4)

def opt(code, value):
    if isinstance(value, str):
        value = value.encode('utf-8')
    return struct.pack(E + 'HH', code, len(value)) + pad(value)

def opts(*options):
    return b''.join(options) + (struct.pack(E + 'HH', 0, 0) if options else b'')

def block(block_type, body):
    body = pad(body)
    total = len(body) + 12
    return struct.pack(E + 'II', block_type, total) + body + struct.pack(E + 'I', total)

def shb(*options):
    return block(0x0A0D0D0A, struct.pack(E + 'IHHq', 0x1A2B3C4D, 1, 0, -1) + opts(*options))

def idb(link, snap, *options):
    return block(1, struct.pack(E + 'HHI', link, 0, snap) + opts(*options))

def payload(n, seed):
    return bytes((seed * 31 + k) % 256 for k in range(n))

def note(data, comments=None, flags=None):
    # Called while the frame's block is being built, before it is appended: `out` ends where it starts.
    expected.append({'hex': data.hex(), 'comments': comments, 'flags': flags, 'offset': sum(map(len, out))})

def epb(ifid, units, data, orig=None, comments=(), flags=None):
    options = [opt(1, c) for c in comments]
    if flags is not None:
        options.append(opt(2, struct.pack(E + 'I', flags)))
    note(data, list(comments) or None, flags)
    return block(6, struct.pack(E + 'IIIII', ifid, units >> 32, units & 0xffffffff, len(data), orig or len(data)) + pad(data) + opts(*options))

def opb(ifid, units, data, comments=()):
    note(data, list(comments) or None)
    return block(2, struct.pack(E + 'HHIIII', ifid, 0, units >> 32, units & 0xffffffff, len(data), len(data)) + pad(data) + opts(*[opt(1, c) for c in comments]))

def spb(data, orig, captured):
    note(data[:captured])
    return block(3, struct.pack(E + 'I', orig) + data[:captured])

def isb(ifid, units, received, dropped):
    return block(5, struct.pack(E + 'III', ifid, units >> 32, units & 0xffffffff) + opts(opt(4, struct.pack(E + 'Q', received)), opt(5, struct.pack(E + 'Q', dropped))))

def nrb():
    record = struct.pack(E + 'HH', 1, 12) + bytes([198, 18, 0, 1]) + b'box\0\0\0\0\0'
    return block(4, record + struct.pack(E + 'HH', 0, 0))

out = []
if scenario == 'features':
    out.append(shb(opt(1, 'section comment'), opt(2, 'test hardware'), opt(3, 'test os'), opt(4, 'pcapng_builder.py')))
    out.append(idb(1, 262144, opt(2, 'eth-a'), opt(3, 'first interface'), opt(9, b'\x09'), opt(11, b'\x00tcp port 443'), opt(12, 'Linux')))
    out.append(idb(101, 65535, opt(2, 'raw-b'), opt(9, b'\x03'), opt(14, struct.pack(E + 'q', 100))))
    out.append(idb(1, 0, opt(2, 'pow2'), opt(9, b'\x8a')))
    out.append(nrb())
    out.append(block(0x12345678, b'an unknown block type is skipped'))
    out.append(epb(0, 1700000000 * 10**9 + 123456789, payload(60, 1), comments=['first comment', 'second \u2603'], flags=1))
    out.append(epb(1, 1700000001 * 10**3 + 5, payload(28, 2)))
    out.append(epb(2, (1700000002 << 10) + 512, payload(61, 3)))
    out.append(isb(0, 1700000003 * 10**9, 10, 1))
    out.append(opb(0, 1700000004 * 10**9 + 999999999, payload(62, 4), comments=['obsolete block']))
    out.append(spb(payload(63, 5), 63, 63))
    out.append(epb(0, 1700000005 * 10**9 + 7, payload(100, 6), orig=1500))
    out.append(block(0x0000000A, struct.pack(E + 'II', 0x544c534b, 4) + b'keys'))
    out.append(shb(opt(4, 'second section')))
    out.append(idb(101, 65535, opt(2, 'sec2')))
    out.append(epb(0, 1700000006 * 10**6 + 1, payload(40, 7)))
elif scenario == 'spb-snaplen':
    out.append(shb())
    out.append(idb(1, 64, opt(2, 'short')))
    out.append(spb(payload(100, 8), 100, 64))
    out.append(spb(payload(30, 9), 30, 30))
else:
    raise SystemExit('unknown scenario ' + scenario)

open(out_path, 'wb').write(b''.join(out))
for e in expected:
    print(json.dumps(e))
