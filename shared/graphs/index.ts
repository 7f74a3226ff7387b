export { allocateStreamFrames, buildStreamGraph, defaultMaWindow, type GraphDirection, type StreamFrames, type StreamGraphColumns } from './stream-graph';
export { streamGraphSvg, type SvgView } from './svg';
export { GRAPH_KINDS, graphSpec, niceTicks, seriesRange, type GraphKind, type GraphSeries, type GraphSpec, type GraphTable, type SeriesStyle } from './series';
export { isNonDecreasing, lineRows, nearestRow, pixelX, pixelY, RasterScratch, rasterRuns, type PixelView } from './decimate';
export { streamGraphOverview, type OverviewRequest } from './overview';
