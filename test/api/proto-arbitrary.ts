// fast-check arbitraries for any etcdserverpb message, built from the
// descriptors proto-loader keeps: well-formed on the wire, but with values
// anywhere in their types' ranges (negative ids, huge revisions, unknown
// enum numbers, empty keys, nested txns), to find what the server forgets
// to validate.

import fc from 'fast-check';
import type { MessageTypeDefinition as GenericMessageType, PackageDefinition } from '@grpc/proto-loader';

type MessageTypeDefinition = GenericMessageType<object, object>;

interface FieldDescriptor {
  readonly name: string;
  readonly label: string;
  readonly type: string;
  readonly typeName: string;
}

interface MessageDescriptor {
  readonly field: readonly FieldDescriptor[];
}

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;
const uint64Max = 2n ** 64n - 1n;

const keyBytes = fc.oneof(
  fc.constantFrom('', 'boston', 'pune', 'london', 'philadelphia', '\0', 'b').map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 12 }).map((bytes) => Buffer.from(bytes)),
);

function scalar(field: FieldDescriptor): fc.Arbitrary<unknown> {
  switch (field.type) {
    case 'TYPE_BYTES':
      return keyBytes;
    case 'TYPE_STRING':
      return fc.oneof(fc.constant(''), fc.string({ maxLength: 12 }), fc.constant('http://127.0.0.1:2380'));
    case 'TYPE_BOOL':
      return fc.boolean();
    case 'TYPE_INT64':
    case 'TYPE_SINT64':
    case 'TYPE_SFIXED64':
      return fc.oneof(fc.integer({ min: -3, max: 40 }).map(String), fc.bigInt(int64Min, int64Max).map(String));
    case 'TYPE_UINT64':
    case 'TYPE_FIXED64':
      return fc.oneof(fc.integer({ min: 0, max: 40 }).map(String), fc.bigInt(0n, uint64Max).map(String));
    case 'TYPE_INT32':
    case 'TYPE_SINT32':
    case 'TYPE_SFIXED32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'TYPE_UINT32':
    case 'TYPE_FIXED32':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'TYPE_ENUM':
      // Includes numbers no enum declares: proto3 lets them through.
      return fc.integer({ min: -1, max: 6 });
    case 'TYPE_DOUBLE':
    case 'TYPE_FLOAT':
      return fc.double();
    default:
      return fc.constant(null);
  }
}

export function messageArbitrary(definition: PackageDefinition, type: MessageTypeDefinition, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const descriptor = type.type as unknown as MessageDescriptor;
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of descriptor.field) {
    let value: fc.Arbitrary<unknown>;
    if (field.type === 'TYPE_MESSAGE') {
      const nested = resolve(definition, field.typeName);
      value = nested === null || depth >= 3 ? fc.constant(null) : fc.option(messageArbitrary(definition, nested, depth + 1), { nil: null });
    } else value = scalar(field);
    fields[field.name] = field.label === 'LABEL_REPEATED' ? fc.array(value.filter((v) => v !== null), { maxLength: 4 }) : value;
  }
  return fc.record(fields, { requiredKeys: [] });
}

function resolve(definition: PackageDefinition, typeName: string): MessageTypeDefinition | null {
  const name = typeName.replace(/^\./, '');
  for (const candidate of [`etcdserverpb.${name}`, name]) {
    const found = definition[candidate];
    if (found !== undefined && 'type' in found) return found as MessageTypeDefinition;
  }
  const suffix = Object.keys(definition).find((key) => key.endsWith(`.${name}`));
  return suffix === undefined ? null : (definition[suffix] as MessageTypeDefinition);
}
