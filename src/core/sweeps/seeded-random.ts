/**
 * A small seeded PRNG (mulberry32): the same seed gives the same trials on every machine and
 * Node version, which Math.random cannot promise.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A fresh seed for sweeps started without `--seed`; recorded in the definition so it reproduces. */
export function newSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
