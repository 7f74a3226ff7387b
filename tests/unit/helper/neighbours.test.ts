import { describe, expect, it } from 'vitest';
import { buildArpRequest, buildNeighbourSolicitation, parseArpReply, parseNeighbourAdvertisement } from '../../../electron/helper/neighbours';
import { parseMac } from '../../../shared/wire/bytes';
import { hasScapy, scapyMany } from '../../integration/capture/support';

// The helper's own ARP and NDP frames, byte for byte against Scapy's (RFC 826, RFC 4861).
const MAC = '02:aa:bb:cc:dd:01';
const PEER = '02:aa:bb:cc:dd:02';

describe.skipIf(!hasScapy)('link-layer resolution frames', () => {
  const [arpRequest, arpReply, solicitation, advertisement, advertisementNoOption] = hasScapy
    ? scapyMany([
        `Ether(src='${MAC}',dst='ff:ff:ff:ff:ff:ff')/ARP(op=1,hwsrc='${MAC}',psrc='198.18.0.1',hwdst='00:00:00:00:00:00',pdst='198.18.0.2')`,
        `Ether(src='${PEER}',dst='${MAC}')/ARP(op=2,hwsrc='${PEER}',psrc='198.18.0.2',hwdst='${MAC}',pdst='198.18.0.1')`,
        `Ether(src='${MAC}',dst='33:33:ff:00:00:02')/IPv6(src='fe80::1',dst='ff02::1:ff00:2',hlim=255)/ICMPv6ND_NS(tgt='2001:db8::2')/ICMPv6NDOptSrcLLAddr(lladdr='${MAC}')`,
        `Ether(src='${PEER}',dst='${MAC}')/IPv6(src='2001:db8::2',dst='fe80::1',hlim=255)/ICMPv6ND_NA(tgt='2001:db8::2',R=0,S=1,O=1)/ICMPv6NDOptDstLLAddr(lladdr='${PEER}')`,
        `Ether(src='${PEER}',dst='${MAC}')/IPv6(src='2001:db8::2',dst='fe80::1',hlim=255)/ICMPv6ND_NA(tgt='2001:db8::2',R=0,S=1,O=1)`,
      ])
    : [];

  it('builds the ARP who-has request Scapy builds', () => {
    expect(Buffer.from(buildArpRequest(parseMac(MAC), '198.18.0.1', '198.18.0.2')).toString('hex')).toBe(Buffer.from(arpRequest).toString('hex'));
  });

  it('reads the sender out of an ARP reply, and nothing out of a request', () => {
    expect(parseArpReply(arpReply, arpReply.length)).toEqual({ ip: (198 << 24 >>> 0) + (18 << 16) + 2, mac: PEER });
    expect(parseArpReply(arpRequest, arpRequest.length)).toBeNull();
  });

  it('builds the neighbour solicitation Scapy builds, checksum included', () => {
    expect(Buffer.from(buildNeighbourSolicitation(parseMac(MAC), 'fe80::1', '2001:db8::2')).toString('hex')).toBe(Buffer.from(solicitation).toString('hex'));
  });

  it('reads the target MAC from an advertisement, falling back to the sender without the option', () => {
    expect(parseNeighbourAdvertisement(advertisement, advertisement.length)).toEqual({ ip: '2001:db8::2', mac: PEER });
    expect(parseNeighbourAdvertisement(advertisementNoOption, advertisementNoOption.length)).toEqual({ ip: '2001:db8::2', mac: PEER });
    expect(parseNeighbourAdvertisement(solicitation, solicitation.length)).toBeNull();
  });
});
