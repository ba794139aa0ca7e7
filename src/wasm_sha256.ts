/**
 * `hash-wasm`'s WebAssembly SHA-256 alone, as its own module: ./sha256.ts
 * imports it only when a long read needs it, and the bundle then holds only
 * this algorithm of the package's many.
 *
 * @module
 */
export { createSHA256 } from "npm:hash-wasm@4.13.0/dist/index.esm.js";
