/** Crafting: FrameSpec → bytes, decoded frame → FrameSpec, and ready-made frames. */
export * from './spec';
export * from './encode';
export * from './from-decoded';
export * from './templates';
