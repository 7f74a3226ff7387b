/**
 * HTTP/1.x and HTTP/2 over TCP and decrypted TLS: the dissector that follows every connection,
 * the message model shared with HTTP/3, and the decode --json keys, Info text and detail tree.
 *
 *   const http = new HttpDissector();
 *   const result = http.segment(tcpStream, fromClient, relativeSeq, payload, frameNumber);  // cleartext
 *   const result = http.records(tcpStream, fromClient, [record.appData, …], frameNumber);    // decrypted TLS
 *   httpToFields(result, jsonFields); httpInfoText(result); httpDetailNodes(result);
 *   http.summary(tcpStream);   // analyze: version and requests with their frames
 */
export { HttpDissector, type HttpConnectionSummary, type HttpExchange, type HttpFrameResult, type Http2Item } from './dissector';
export { Http1Connection, type Http1Message } from './http1';
export { headerValue, mediaType, statusText, type HttpHeaderField, type HttpMessage, type HttpVersion } from './message';
export { HTTP_FIELD_NAMES, httpToFields, representationName } from './json';
export { httpInfoText } from './info';
export { httpDetailNodes } from './detail';
