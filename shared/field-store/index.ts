export { FrameFieldStore } from './frame-field-store';
