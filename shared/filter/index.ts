export { parseFilter, filterFields, type FilterNode, type FilterError, type FilterLiteral, type CompareOp, type ParseOptions, type ParseResult, type SetItem } from './parse';
export { BYTE_FIELDS } from '../wire/json';
export { compileFilter, evaluateFilter, FIELD_ALIASES, isAlias, type CompiledFilter, type CompileResult, type FieldSource, type FieldValue } from './evaluate';
export { isKnownField, allFilterFields, EXTRA_FILTER_FIELDS } from './known-fields';
