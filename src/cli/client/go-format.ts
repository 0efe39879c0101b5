// How Go's standard library (and the two small libraries etcdctl uses) write
// and read the values etcdctl shows: durations, byte sizes, quoted strings,
// hexadecimal ids. Output must match etcdctl's byte for byte, so each
// function follows the Go behaviour it names, rounding included.

const nsPerUnit: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** time.ParseDuration: "2s", "500ms", "1m30s", "1.5h"; returns nanoseconds, or null when the text is not a duration. */
export function parseGoDuration(text: string): number | null {
  const match = /^([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+|0)$/.exec(text);
  if (match === null) return null;
  if (match[2] === '0') return 0;
  let total = 0;
  for (const part of match[2]!.matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(part[1]) * nsPerUnit[part[2]!]!;
  return match[1] === '-' ? -total : total;
}

function withFraction(value: number, digits: number): string {
  const scale = 10 ** digits;
  const whole = Math.floor(value / scale);
  const fraction = String(value % scale).padStart(digits, '0').replace(/0+$/, '');
  return fraction === '' ? String(whole) : `${whole}.${fraction}`;
}

/** time.Duration.String: "1.8214ms", "958.1µs", "2s", "1m30s". */
export function formatGoDuration(nanoseconds: number): string {
  let ns = Math.round(Math.abs(nanoseconds));
  const sign = nanoseconds < 0 ? '-' : '';
  if (ns === 0) return '0s';
  if (ns < 1e3) return `${sign}${ns}ns`;
  if (ns < 1e6) return `${sign}${withFraction(ns, 3)}µs`;
  if (ns < 1e9) return `${sign}${withFraction(ns, 6)}ms`;
  const hours = Math.floor(ns / 3600e9);
  ns -= hours * 3600e9;
  const minutes = Math.floor(ns / 60e9);
  ns -= minutes * 60e9;
  const seconds = `${withFraction(ns, 9)}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return sign + seconds;
}

/** go-humanize's Bytes: SI units, one decimal below 10, Go's round-half-to-even for the whole numbers. */
export function humanizeBytes(bytes: number): string {
  if (bytes < 10) return `${bytes} B`;
  const sizes = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  const exponent = Math.floor(Math.log(bytes) / Math.log(1000));
  const tenths = Math.floor((bytes / 1000 ** exponent) * 10 + 0.5);
  const suffix = sizes[exponent]!;
  if (tenths < 100) return `${Math.floor(tenths / 10)}.${tenths % 10} ${suffix}`;
  const whole = Math.floor(tenths / 10);
  const rest = tenths % 10;
  const rounded = rest > 5 || (rest === 5 && whole % 2 === 1) ? whole + 1 : whole;
  return `${rounded} ${suffix}`;
}

/** One UTF-8 sequence at offset, as Go's utf8.DecodeRune reads it: invalid or overlong bytes are one byte of RuneError. */
function decodeRune(bytes: Uint8Array, offset: number): { rune: number; width: number } {
  const first = bytes[offset]!;
  if (first < 0x80) return { rune: first, width: 1 };
  const invalid = { rune: -1, width: 1 };
  const need = first >= 0xf0 && first <= 0xf4 ? 3 : first >= 0xe0 && first <= 0xef ? 2 : first >= 0xc2 && first <= 0xdf ? 1 : -1;
  if (need < 0 || offset + need >= bytes.length) return invalid;
  let rune = first & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
  for (let i = 1; i <= need; i++) {
    const next = bytes[offset + i]!;
    if ((next & 0xc0) !== 0x80) return invalid;
    rune = (rune << 6) | (next & 0x3f);
  }
  const minimum = need === 1 ? 0x80 : need === 2 ? 0x800 : 0x10000;
  if (rune < minimum || rune > 0x10ffff || (rune >= 0xd800 && rune <= 0xdfff)) return invalid;
  return { rune, width: need + 1 };
}

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const shortEscapes: Record<number, string> = { 7: '\\a', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v' };

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, '0');
}

/** strconv.Quote (fmt's %q) of raw bytes. */
export function goQuote(value: Uint8Array | string): string {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  let out = '"';
  for (let offset = 0; offset < bytes.length; ) {
    const { rune, width } = decodeRune(bytes, offset);
    if (rune < 0) out += `\\x${hex(bytes[offset]!, 2)}`;
    else if (rune === 0x22 || rune === 0x5c) out += `\\${String.fromCodePoint(rune)}`;
    else if (printable.test(String.fromCodePoint(rune))) out += String.fromCodePoint(rune);
    else if (shortEscapes[rune] !== undefined) out += shortEscapes[rune];
    else if (rune < 0x20 || rune === 0x7f) out += `\\x${hex(rune, 2)}`;
    else if (rune < 0x10000) out += `\\u${hex(rune, 4)}`;
    else out += `\\U${hex(rune, 8)}`;
    offset += width;
  }
  return out + '"';
}

/** A 64-bit id (decimal string as proto-loader gives it) as fmt's %x of a uint64. */
export function hexId(decimal: string | bigint): string {
  return BigInt.asUintN(64, BigInt(decimal)).toString(16);
}

/** fmt's %016x of a lease id (an int64: a negative id keeps its sign, as in Go). */
export function leaseHex(decimal: string | bigint): string {
  const value = BigInt.asIntN(64, BigInt(decimal));
  return value < 0n ? `-${(-value).toString(16).padStart(16, '0')}` : value.toString(16).padStart(16, '0');
}

/** etcdctl's --hex form of bytes: \x66\x6f\x6f. */
export function hexEscaped(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += `\\x${hex(byte, 2)}`;
  return out;
}
