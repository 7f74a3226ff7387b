/** Connection tracking: public API for the engine, the CLI and the renderer. */
export { Tracker, DEFAULT_MSL_SECONDS } from './tracker';
export { connectionToJson, connectionTlsJson, writeConnectionJson, connectionCommunityId, frameAnalysisToKeys, endpointText, type JsonObject, type JsonValue } from './json';
export { statesPassedAt, finalStatesPassed } from './passed';
export { renderConnection, connectionStory, openCloseText, countsText } from './ladder';
export { alertToJson } from './report';
export { Analysis, ANALYSIS_FLAGS_KEY, ANALYSIS_KEYS, Completeness } from './flags';
export { TcpState, TcpEvent, TCP_STATE_NAMES, TCP_EVENT_NAMES, TRANSITIONS, nextState } from './states';
export { SynFloodDetector, DEFAULT_SYN_FLOOD_OPTIONS, type SynFloodAlert, type SynFloodOptions } from './synflood';
export { TlsStreamCollector, parseHello, tlsVersionName, tlsCipherName, TlsHandshakeType, type TlsHello } from './tls';
export { zeekConnState, ZeekEndpoint, type ConnState } from './zeek';
export { seqLt, seqLe, seqGt, seqGe, seqDiff, seqAdd, seqRelative } from './seq';
export type * from './types';
export { zeekConnHeader, zeekConnTsv, zeekConnFooter, zeekConnJson, zeekConnRecord, ZEEK_CONN_FIELDS, ZEEK_CONN_TYPES } from './zeek-log';
