// etcdctl -w json prints responses with Go's encoding/json over gogoproto's
// structs: fields in .proto order under their .proto names, zero values
// left out (omitempty), 64-bit integers as bare numbers, bytes as base64,
// enums as numbers, and oneofs as {"Oneof":{"Field":...}} because gogoproto
// gives those Go struct fields no json tags. This encoder walks etcd's
// descriptors to produce the same text from proto-loader's objects.

import { etcdPackageDefinition } from '../../api/etcd/proto.js';
import type { Wire } from './connection.js';

interface FieldDescriptor {
  readonly name: string;
  readonly type: string;
  readonly label: string;
  readonly typeName: string;
}

interface MessageDescriptor {
  readonly field: readonly FieldDescriptor[];
  readonly enumType: readonly { readonly name: string; readonly value: readonly { readonly name: string; readonly number: number }[] }[];
}

/** The one oneof etcdctl prints (TxnResponse's responses), by message, with its Go field name. */
const oneofs: Record<string, { readonly property: string; readonly goName: string }> = {
  'etcdserverpb.ResponseOp': { property: 'response', goName: 'Response' },
};

function definitionOf(qualifiedName: string): { type: unknown } | undefined {
  return etcdPackageDefinition()[qualifiedName] as { type: unknown } | undefined;
}

export function messageDescriptor(qualifiedName: string): MessageDescriptor {
  const found = definitionOf(qualifiedName);
  if (found === undefined) throw new Error(`no message ${qualifiedName} in etcd's protos`);
  return found.type as MessageDescriptor;
}

/** A field's type name, qualified: nested in the message, then in its package, then as written. */
function resolve(scope: string, typeName: string): string {
  const packageName = scope.slice(0, scope.lastIndexOf('.'));
  for (const candidate of [`${scope}.${typeName}`, `${packageName}.${typeName}`, typeName]) {
    if (definitionOf(candidate) !== undefined) return candidate;
  }
  throw new Error(`cannot resolve ${typeName} from ${scope}`);
}

/** An enum value's number, whether proto-loader gave its name or (for values the schema lacks) its number. */
export function enumNumber(scope: string, field: FieldDescriptor, value: unknown): number {
  if (typeof value === 'number') return value;
  const nested = messageDescriptor(scope).enumType.find((e) => e.name === field.typeName);
  const values = nested?.value ?? (definitionOf(resolve(scope, field.typeName))!.type as { value: { name: string; number: number }[] }).value;
  return values.find((v) => v.name === value)?.number ?? 0;
}

function isZero(field: FieldDescriptor, value: unknown, scope: string): boolean {
  if (value === undefined || value === null) return true;
  if (field.label === 'LABEL_REPEATED') return (value as unknown[]).length === 0;
  switch (field.type) {
    case 'TYPE_MESSAGE':
      return false;
    case 'TYPE_BOOL':
      return value === false;
    case 'TYPE_STRING':
      return value === '';
    case 'TYPE_BYTES':
      return (value as Uint8Array).length === 0;
    case 'TYPE_ENUM':
      return enumNumber(scope, field, value) === 0;
    default:
      return BigInt(value as string | number) === 0n;
  }
}

const escapes: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** encoding/json's string: HTML-safe, with U+2028 and U+2029 escaped too. */
export function goJsonString(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (escapes[char] !== undefined) out += escapes[char];
    else if (code < 0x20 || char === '<' || char === '>' || char === '&' || code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return out + '"';
}

function scalar(field: FieldDescriptor, value: unknown, scope: string): string {
  switch (field.type) {
    case 'TYPE_MESSAGE':
      return value === null ? 'null' : protoJson(resolve(scope, field.typeName), value as Wire);
    case 'TYPE_BOOL':
      return value === true ? 'true' : 'false';
    case 'TYPE_STRING':
      return goJsonString(String(value));
    case 'TYPE_BYTES':
      return `"${Buffer.from(value as Uint8Array).toString('base64')}"`;
    case 'TYPE_ENUM':
      return String(enumNumber(scope, field, value));
    case 'TYPE_DOUBLE':
    case 'TYPE_FLOAT':
      return String(value);
    default:
      return BigInt(value as string | number).toString();
  }
}

/** Go's json.Marshal of the gogoproto struct for message (qualified name, e.g. etcdserverpb.RangeResponse). */
export function protoJson(typeName: string, message: Wire): string {
  const oneof = oneofs[typeName];
  if (oneof !== undefined) {
    const chosen = message[oneof.property] as string | undefined;
    if (chosen === undefined || message[chosen] === null || message[chosen] === undefined) return `{"${oneof.goName}":null}`;
    const field = messageDescriptor(typeName).field.find((f) => f.name === chosen)!;
    return `{"${oneof.goName}":{"${goFieldName(chosen)}":${scalar(field, message[chosen], typeName)}}}`;
  }
  const members: string[] = [];
  for (const field of messageDescriptor(typeName).field) {
    const value = message[field.name];
    if (isZero(field, value, typeName)) continue;
    const text = field.label === 'LABEL_REPEATED' ? `[${(value as unknown[]).map((item) => scalar(field, item, typeName)).join(',')}]` : scalar(field, value, typeName);
    members.push(`${goJsonString(field.name)}:${text}`);
  }
  return `{${members.join(',')}}`;
}

/** response_range → ResponseRange: the Go name of a generated field. */
export function goFieldName(protoName: string): string {
  return protoName.replace(/(^|_)([a-z])/g, (_, _sep: string, letter: string) => letter.toUpperCase());
}

/** Oneof members of requests: Go encodes a set member even when its value is zero (version("boston") = "0"). */
const requestOneofMembers: Record<string, readonly string[]> = {
  'etcdserverpb.Compare': ['version', 'create_revision', 'mod_revision', 'value', 'lease'],
};

/**
 * The message with zero values removed, so protobufjs writes what gogoproto's
 * Marshal writes: proto3 leaves zero fields out. This matters beyond bytes on
 * the wire: etcd reads a range_end that is present but empty as "to the end".
 */
export function withoutZeros(typeName: string, message: Wire): Wire {
  const out: Wire = {};
  const oneof = oneofs[typeName];
  const alwaysKept = requestOneofMembers[typeName] ?? [];
  for (const field of messageDescriptor(typeName).field) {
    const value = message[field.name];
    if (oneof !== undefined && message[oneof.property] !== field.name) continue;
    if (oneof === undefined && !(alwaysKept.includes(field.name) && value !== undefined && value !== null) && isZero(field, value, typeName)) continue;
    if (value === null || value === undefined) continue;
    if (field.type !== 'TYPE_MESSAGE') out[field.name] = field.type === 'TYPE_ENUM' && field.label !== 'LABEL_REPEATED' ? enumNumber(typeName, field, value) : value;
    else {
      const nested = resolve(typeName, field.typeName);
      out[field.name] = field.label === 'LABEL_REPEATED' ? (value as Wire[]).map((item) => withoutZeros(nested, item)) : withoutZeros(nested, value as Wire);
    }
  }
  return out;
}
