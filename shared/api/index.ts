export * from './contract';
export * from './rpc';
export { ValidationError, type Validator } from './validate';
