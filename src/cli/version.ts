export const TRELLIS_VERSION = '0.1.0';
