export { PageLoadTimeline, type PageLoadConnection, type PageLoadConnectionFacts, type PageLoadFrame, type PageLoadSummary, type Milestone } from './timeline';
export { Http2FrameScanner, type HttpMilestones } from './http-milestones';
export { pageLoadText } from './text';
export { pageLoadRows, PAGE_LOAD_STEPS, type PageLoadRow, type PageLoadStep, type PageLoadStepName } from './rows';
