/**
 * The peak day's users: how many memberships each has. Most people belong to
 * a handful of clubs, some (club administrators, families of accounts) have
 * thousands, and a few (federations) over a hundred thousand. Sizes come from
 * a seeded generator, so two runs with the same flags export the same rows
 * and their figures compare.
 */

export interface MixSettings {
  readonly users: number;
  /** Users with `largeRows` memberships (the federations). */
  readonly largeUsers: number;
  /** Share of the users with 1,000–5,000 memberships, e.g. 0.1. */
  readonly mediumShare: number;
  /** Lower bound of a large user's memberships; each gets up to 50% more. */
  readonly largeRows: number;
  readonly seed: number;
}

export interface UserMix {
  /** Memberships per user, in seeding order. */
  readonly sizes: readonly number[];
  /** How many users fall in each band, and the rows in all. */
  readonly summary: { readonly small: number; readonly medium: number; readonly large: number; readonly rows: number };
}

/** mulberry32: small, fast and good enough to spread sizes; the same seed gives the same sequence. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Sizes for the settings: `largeUsers` large, a `mediumShare` of medium, the rest 1–50; shuffled so bands interleave. */
export function userMix(settings: MixSettings): UserMix {
  const random = seededRandom(settings.seed);
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const large = Math.min(settings.largeUsers, settings.users);
  const medium = Math.min(Math.round(settings.users * settings.mediumShare), settings.users - large);
  const small = settings.users - large - medium;
  const sizes = [
    ...Array.from({ length: large }, () => between(settings.largeRows, Math.round(settings.largeRows * 1.5))),
    ...Array.from({ length: medium }, () => between(1_000, 5_000)),
    ...Array.from({ length: small }, () => between(1, 50)),
  ];
  // Fisher–Yates with the same generator: large users are not all first in the queue.
  for (let index = sizes.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [sizes[index], sizes[other]] = [sizes[other]!, sizes[index]!];
  }
  return { sizes, summary: { small, medium, large, rows: sizes.reduce((sum, size) => sum + size, 0) } };
}
