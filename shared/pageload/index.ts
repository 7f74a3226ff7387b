export { altSvcH3, PageLoadTimeline, type PageLoadConnection, type PageLoadConnectionFacts, type PageLoadFrame, type PageLoadQuicDatagram, type PageLoadQuicFacts, type PageLoadSummary, type Milestone } from './timeline';
export { pageLoadText } from './text';
export { pageLoadRows, PAGE_LOAD_STEPS, type PageLoadRow, type PageLoadStep, type PageLoadStepName } from './rows';
