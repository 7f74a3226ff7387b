export { parseDnsMessage, displayName, type DnsMessage, type DnsQuestion, type DnsRecord, type DnsSvcb, type DnsSvcParam } from './message';
export { DnsDissector, dnsEndpointsOf, DNS_PORT, type DnsFrameMessage, type DnsEndpoints } from './dissector';
export { dnsMessagesToFields, dnsMalformed, DNS_FIELD_NAMES } from './json';
export { dnsInfoText } from './info';
export { dnsDetailNode } from './detail';
export { dnsTypeName, dnsRcodeName, svcParamKeyName } from './names';
