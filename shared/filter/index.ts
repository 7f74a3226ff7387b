export { parseFilter, filterFields, compilePattern, MAX_FILTER_DEPTH, type FilterFieldKind, type TextPattern, type FilterNode, type FilterError, type FilterLiteral, type CompareOp, type ParseOptions, type ParseResult, type SetItem } from './parse';
export { BYTE_FIELDS } from '../wire/json';
export { compileFilter, evaluateFilter, FIELD_ALIASES, isAlias, type CompiledFilter, type CompileResult, type FieldSource, type FieldValue } from './evaluate';
export { isKnownField, allFilterFields, EXTRA_FILTER_FIELDS, FILTER_OPTIONS, filterFieldKind, isWiresharkField, suggestField, unknownFieldReason } from './known-fields';
