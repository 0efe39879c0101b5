// HPACK's Huffman code (RFC 7541 Appendix B). The code is canonical: sorted
// by (bit length, symbol), each code is the previous one plus one, shifted
// left when the length grows. So the 257 bit lengths below (symbols 0-255 and
// EOS = 256, one letter each, 'a' = 5 bits ... 'z' = 30 bits) determine
// every code; the RFC's table was checked against them when they were
// written down, and the Appendix C examples in the tests check them again.

import { HpackError } from './hpack-error.js';

const codeLengthLetters =
  'isxxxxxxxtzxxzxxxxxxxxzxxxxxxxxxbffhibdgffdgdbbbaaabbbbbbbcdkbhfibccccccccccccccccccccccdcdioijbkabababbbaccbbbabcbaabccccckgjixprpprrrsrssssststtrstssssqrsrsstrqprrssqsrrtqrssqqrqsrssprrrsrrsvvporsruvvvwwvtuoqvwwvwtqqvvxwwwptpqrqqsrruuttvsvwvvwwwwwxwwwwwvz';

const eosSymbol = 256;
const symbolCount = 257;

/** Bit length of each symbol's code. */
export const huffmanCodeLengths: readonly number[] = Array.from(codeLengthLetters, (letter) => letter.charCodeAt(0) - 'a'.charCodeAt(0) + 5);

/** Each symbol's code, right-aligned in its bit length (at most 30 bits, so plain numbers hold them). */
export const huffmanCodes: readonly number[] = (() => {
  if (huffmanCodeLengths.length !== symbolCount) throw new Error(`the Huffman table has ${huffmanCodeLengths.length} lengths, not ${symbolCount}`);
  const order = Array.from({ length: symbolCount }, (_, symbol) => symbol).sort((a, b) => huffmanCodeLengths[a]! - huffmanCodeLengths[b]! || a - b);
  const codes = new Array<number>(symbolCount).fill(0);
  let code = 0;
  let length = huffmanCodeLengths[order[0]!]!;
  for (let i = 0; i < order.length; i++) {
    const symbol = order[i]!;
    if (i > 0) code = (code + 1) * 2 ** (huffmanCodeLengths[symbol]! - length);
    length = huffmanCodeLengths[symbol]!;
    codes[symbol] = code;
  }
  // A complete prefix code ends on the all-ones code of the longest length (EOS).
  if (codes[eosSymbol] !== 2 ** 30 - 1) throw new Error('the Huffman code lengths do not form a complete prefix code');
  return codes;
})();

// The decoding tree: node 0 is the root; children[2n] and children[2n+1] are
// node n's 0 and 1 children. A child value >= 0 is another node; a negative
// value -(symbol + 1) is a leaf.
const decodingTree: Int32Array = (() => {
  const children = new Int32Array(2 * symbolCount);
  let nodes = 1;
  for (let symbol = 0; symbol < symbolCount; symbol++) {
    const length = huffmanCodeLengths[symbol]!;
    const code = huffmanCodes[symbol]!;
    let node = 0;
    for (let bit = length - 1; bit >= 0; bit--) {
      const slot = 2 * node + (Math.floor(code / 2 ** bit) & 1);
      if (bit === 0) {
        children[slot] = -(symbol + 1);
      } else {
        if (children[slot] === 0) children[slot] = nodes++;
        node = children[slot]!;
      }
    }
  }
  return children;
})();

/**
 * Decodes a Huffman-coded string. Refuses the EOS symbol, padding longer
 * than 7 bits, and padding that is not the most significant bits of EOS
 * (all ones), as RFC 7541 section 5.2 requires.
 */
export function huffmanDecode(input: Uint8Array): Uint8Array {
  // Every code is at least 5 bits long, so the output is bounded.
  const output = new Uint8Array(Math.floor((input.length * 8) / 5));
  let written = 0;
  let node = 0;
  let bitsSinceSymbol = 0;
  let allOnesSinceSymbol = true;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      const one = (byte >> bit) & 1;
      const next = decodingTree[2 * node + one]!;
      bitsSinceSymbol++;
      if (one === 0) allOnesSinceSymbol = false;
      if (next < 0) {
        const symbol = -next - 1;
        if (symbol === eosSymbol) throw new HpackError('a Huffman-coded string contains the EOS symbol');
        output[written++] = symbol;
        node = 0;
        bitsSinceSymbol = 0;
        allOnesSinceSymbol = true;
      } else {
        node = next;
      }
    }
  }
  if (bitsSinceSymbol > 7) throw new HpackError(`a Huffman-coded string ends in ${bitsSinceSymbol} bits of padding; at most 7 are allowed`);
  if (!allOnesSinceSymbol) throw new HpackError('a Huffman-coded string is padded with bits other than the ones of EOS');
  return output.subarray(0, written);
}

/** The length in bytes of a string's Huffman coding. */
export function huffmanEncodedLength(input: Uint8Array): number {
  let bits = 0;
  for (let i = 0; i < input.length; i++) bits += huffmanCodeLengths[input[i]!]!;
  return Math.ceil(bits / 8);
}

export function huffmanEncode(input: Uint8Array): Uint8Array {
  const output = new Uint8Array(huffmanEncodedLength(input));
  let written = 0;
  let current = 0;
  let filled = 0;
  for (let i = 0; i < input.length; i++) {
    const code = huffmanCodes[input[i]!]!;
    let remaining = huffmanCodeLengths[input[i]!]!;
    while (remaining > 0) {
      const take = Math.min(8 - filled, remaining);
      const bits = (code >>> (remaining - take)) & ((1 << take) - 1);
      current = (current << take) | bits;
      filled += take;
      remaining -= take;
      if (filled === 8) {
        output[written++] = current;
        current = 0;
        filled = 0;
      }
    }
  }
  // Pad with the most significant bits of EOS, which are all ones.
  if (filled > 0) output[written++] = (current << (8 - filled)) | ((1 << (8 - filled)) - 1);
  return output;
}
