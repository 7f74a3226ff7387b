/** The flow graph across connections: its model and its exports (see README.md here). */
export { FlowGraph, flowLabel, flowComment, endpointName, lanesOf, type FlowFrameInput, type FlowNodeMode, type FlowRow, type StatesLookup } from './model';
export {
  FLOW_FORMATS,
  FLOW_LAYOUT,
  flowChunks,
  flowExport,
  mermaidText,
  nodeX,
  plantumlText,
  stateText,
  xmlText,
  type FlowExportOptions,
  type FlowFormat,
} from './export';
