/** The wire core's public surface: decode, fast path, field registry, checksums, formatting. */
export * from './bytes';
export * from './linktypes';
export * from './fields';
export * from './checksum';
export * from './ipv6';
export * from './malformed';
export * from './decode';
export * from './summary';
export * from './summarize';
export * from './json';
export * from './info';
