/** Follow Stream (TCP, decrypted TLS, HTTP/2, UDP, QUIC, HTTP/3): the turns of a conversation and tshark's -z follow text. */
export { FollowDriver, followQuicPackets } from './drive';
export { StreamFollower, formatFollow, followFilterText, serializeHeaders, asciiText, hexDump, MAX_FOLLOW_BYTES, type FollowChunk, type FollowedStream, type FollowFormat, type FollowKind } from './follow';
export { UdpStreams, type UdpStreamOf } from './udp-streams';
