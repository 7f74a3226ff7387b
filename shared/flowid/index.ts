export { communityId, communityIdOf, type FlowEndpoint } from './community-id';
export { sha1 } from './sha1';
export { frameCommunityId } from './frame';
