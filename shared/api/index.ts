export * from './contract';
export * from './rpc';
export { BinaryMessageError, decodeBinaryMessage, encodeBinaryMessage, hasColumns } from './binary';
export { ValidationError, type Validator } from './validate';
export { buildDetailTree, ANALYSIS_NOTES, type TcpTreeExtras, type FrameTreeMeta } from './detail-tree';
