export { CapturePoint, type FinishedPoint, type PointConnection, type PointFrameInput } from './capture-point';
export {
  compareCapturePoints,
  type CompareOptions,
  type ComparisonResult,
  type ComparisonSummary,
  type ConnectionComparison,
  type DelayStats,
  type InjectedSegment,
  type LostSegment,
  type Rewrite,
  type TwoPointStep,
} from './compare';
export { renderComparison, renderSummary } from './text';
