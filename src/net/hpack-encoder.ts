// An HPACK encoder. The authority rewriter uses it stateless: every field is
// a static-table reference or a literal without indexing, so the receiving
// decoder's dynamic table stays empty and nothing the rewriter emits depends
// on what came before. With `indexing` it also keeps a dynamic table of its
// own, which the tests use to drive the decoder through every representation.

import { BlockWriter } from './hpack-primitives.js';
import { DynamicTable, staticTable, type HeaderField } from './hpack-tables.js';

export interface HpackEncoderOptions {
  /** Huffman-code strings when that is shorter. */
  readonly huffman: boolean;
  /** Add fields to the dynamic table and refer to it. */
  readonly indexing: boolean;
  /** The dynamic table size to start with (the peer's SETTINGS_HEADER_TABLE_SIZE). */
  readonly tableSizeBytes: number;
}

const statelessOptions: HpackEncoderOptions = { huffman: false, indexing: false, tableSizeBytes: 0 };

/** For each name in the static table, its first index and the indexes of its values. */
const staticByName = new Map<string, { readonly nameIndex: number; readonly values: Map<string, number> }>();
staticTable.forEach((field, i) => {
  let entry = staticByName.get(field.name);
  if (entry === undefined) staticByName.set(field.name, (entry = { nameIndex: i + 1, values: new Map() }));
  if (!entry.values.has(field.value)) entry.values.set(field.value, i + 1);
});

export class HpackEncoder {
  private readonly table: DynamicTable;
  /** Size updates to send at the start of the next block (section 4.2: the smallest and then the final one). */
  private pendingSizeUpdates: number[] = [];

  constructor(private readonly options: HpackEncoderOptions = statelessOptions) {
    this.table = new DynamicTable(options.tableSizeBytes);
  }

  /** Changes the dynamic table size; the update is signalled at the start of the next block. */
  setTableSize(sizeBytes: number): void {
    this.table.resize(sizeBytes);
    const smallest = Math.min(sizeBytes, ...this.pendingSizeUpdates);
    this.pendingSizeUpdates = smallest < sizeBytes ? [smallest, sizeBytes] : [sizeBytes];
  }

  private readonly writer = new BlockWriter();

  encode(fields: readonly HeaderField[]): Uint8Array {
    return this.encodeToView(fields).slice();
  }

  /** Like encode, but the block is a view of the encoder's buffer, valid until the next call. */
  encodeToView(fields: readonly HeaderField[]): Uint8Array {
    const writer = this.writer;
    writer.reset();
    for (const size of this.pendingSizeUpdates) writer.integer(size, 5, 0x20);
    this.pendingSizeUpdates = [];
    for (const field of fields) this.field(writer, field);
    return writer.view();
  }

  private field(writer: BlockWriter, field: HeaderField): void {
    const known = staticByName.get(field.name);
    if (field.sensitive) {
      this.literal(writer, field, 4, 0x10, known?.nameIndex ?? this.dynamicName(field.name));
      return;
    }
    const exact = known?.values.get(field.value) ?? this.dynamicExact(field);
    if (exact !== undefined) {
      writer.integer(exact, 7, 0x80);
      return;
    }
    const nameIndex = known?.nameIndex ?? this.dynamicName(field.name);
    if (this.options.indexing) {
      this.literal(writer, field, 6, 0x40, nameIndex);
      this.table.add({ name: field.name, value: field.value });
    } else {
      this.literal(writer, field, 4, 0x00, nameIndex);
    }
  }

  private literal(writer: BlockWriter, field: HeaderField, prefixBits: number, pattern: number, nameIndex: number | undefined): void {
    writer.integer(nameIndex ?? 0, prefixBits, pattern);
    if (nameIndex === undefined) writer.string(field.name, this.options.huffman);
    writer.string(field.value, this.options.huffman);
  }

  private dynamicExact(field: HeaderField): number | undefined {
    if (!this.options.indexing) return undefined;
    for (let i = 1; i <= this.table.length; i++) {
      const entry = this.table.get(i);
      if (entry.name === field.name && entry.value === field.value) return staticTable.length + i;
    }
    return undefined;
  }

  private dynamicName(name: string): number | undefined {
    if (!this.options.indexing) return undefined;
    for (let i = 1; i <= this.table.length; i++) if (this.table.get(i).name === name) return staticTable.length + i;
    return undefined;
  }
}
