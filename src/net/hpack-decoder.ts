// An HPACK decoder (RFC 7541 section 6): one per connection direction, fed
// whole header blocks in the order they were sent, since each block may add
// to the dynamic table the next one reads from. A block that does not decode
// throws HpackError; the table is then out of step with the encoder's, so the
// connection must be closed (HTTP/2's COMPRESSION_ERROR).

import { HpackError } from './hpack-error.js';
import { BlockReader } from './hpack-primitives.js';
import { DynamicTable, entrySize, staticTable, type HeaderField } from './hpack-tables.js';

/** HTTP/2's initial SETTINGS_HEADER_TABLE_SIZE. */
export const defaultHeaderTableSizeBytes = 4096;

export interface HpackDecoderLimits {
  /**
   * The largest dynamic table the encoder may ask for: what this side
   * advertised as SETTINGS_HEADER_TABLE_SIZE.
   */
  readonly maxTableSizeBytes: number;
  /** The largest decoded header list (names, values and 32 octets per field, as SETTINGS_MAX_HEADER_LIST_SIZE counts it). */
  readonly maxHeaderListBytes: number;
}

export const defaultHpackDecoderLimits: HpackDecoderLimits = {
  maxTableSizeBytes: defaultHeaderTableSizeBytes,
  maxHeaderListBytes: 64 * 1024,
};

export class HpackDecoder {
  private readonly table: DynamicTable;
  private tableSizeLimitBytes: number;

  constructor(private readonly limits: HpackDecoderLimits = defaultHpackDecoderLimits) {
    this.tableSizeLimitBytes = limits.maxTableSizeBytes;
    this.table = new DynamicTable(limits.maxTableSizeBytes);
  }

  /** Size updates up to this many bytes are accepted from now on (the decoding side's settings changed). */
  allowTableSize(maxTableSizeBytes: number): void {
    this.tableSizeLimitBytes = maxTableSizeBytes;
  }

  get tableSize(): number {
    return this.table.size;
  }

  get tableMaxSize(): number {
    return this.table.maxSize;
  }

  /** The dynamic table, newest entry first. */
  tableEntries(): HeaderField[] {
    return this.table.entries();
  }

  decode(block: Uint8Array): HeaderField[] {
    const reader = new BlockReader(block);
    const fields: HeaderField[] = [];
    let listBytes = 0;
    while (!reader.done) {
      const first = reader.peek();
      let field: HeaderField;
      if (first & 0x80) {
        field = this.indexed(reader.integer(7));
      } else if ((first & 0xc0) === 0x40) {
        field = this.literal(reader, 6, false);
        this.table.add(field);
      } else if ((first & 0xe0) === 0x20) {
        // Section 4.2: a size update may only open a block.
        if (fields.length > 0) throw new HpackError('a dynamic table size update follows a header field; it must open the header block');
        const size = reader.integer(5);
        if (size > this.tableSizeLimitBytes) {
          throw new HpackError(`a dynamic table size update to ${size} bytes exceeds the ${this.tableSizeLimitBytes} bytes allowed by SETTINGS_HEADER_TABLE_SIZE`);
        }
        this.table.resize(size);
        continue;
      } else {
        field = this.literal(reader, 4, (first & 0x10) !== 0);
      }
      listBytes += entrySize(field);
      if (listBytes > this.limits.maxHeaderListBytes) {
        throw new HpackError(`the header list exceeds ${this.limits.maxHeaderListBytes} bytes`);
      }
      fields.push(field);
    }
    return fields;
  }

  private indexed(index: number): HeaderField {
    if (index === 0) throw new HpackError('header field index 0 is not valid');
    if (index <= staticTable.length) return staticTable[index - 1]!;
    return this.table.get(index - staticTable.length);
  }

  private literal(reader: BlockReader, prefixBits: number, sensitive: boolean): HeaderField {
    const nameIndex = reader.integer(prefixBits);
    const name = nameIndex === 0 ? reader.string() : this.indexed(nameIndex).name;
    const value = reader.string();
    return sensitive ? { name, value, sensitive } : { name, value };
  }
}
