export { TcpEndpoint, EndpointError, type RetransmitWhy, type EndpointSegment, type EndpointOptions, type EndpointEvent, type EndpointStats, type Proposal, type SegmentReason, type AckMode, type KeepaliveOptions, type Negotiated } from './endpoint';
export { RtoEstimator, RTO_ALPHA, RTO_BETA, RTO_K, type RtoOptions } from './rto';
export { packetOf, segmentOf, type ReceivedSegment, type SegmentAddress } from './packet';
export { applySegmentEdit, parseSegmentEdit, segmentLine, SegmentEditError, EDITABLE_FIELDS, type SegmentEdit } from './edit';
export { EndpointLane, endpointName } from './lane';
export { SackScoreboard, dsackBlock, SCOREBOARD_LIMIT, setPipe, type LossRule, initialWindow, ssthreshAfterLoss, cwndAfterAck, type CongestionOptions, type CongestionAlgorithm, type RecoveryPhase, type SenderState } from './congestion';
