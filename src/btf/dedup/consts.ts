/**
 * Constants of the dedup hot loops as `const enum`s, so that the compiler writes them
 * as literal numbers: an imported binding (or a regular enum's property) costs a load
 * and a check on every use in V8's optimized code.
 */

/** BTF kinds (the values of `Kind` in ../kinds.ts). */
export const enum K {
  UNKN = 0,
  INT = 1,
  PTR = 2,
  ARRAY = 3,
  STRUCT = 4,
  UNION = 5,
  ENUM = 6,
  FWD = 7,
  TYPEDEF = 8,
  VOLATILE = 9,
  CONST = 10,
  RESTRICT = 11,
  FUNC = 12,
  FUNC_PROTO = 13,
  VAR = 14,
  DATASEC = 15,
  FLOAT = 16,
  DECL_TAG = 17,
  TYPE_TAG = 18,
  ENUM64 = 19,
}

/** Fields of the per-type state: `meta[4 * id + M.X]` (see ./state.ts). */
export const enum M {
  /** Word offset of the record in `w`. */
  OFF = 0,
  /** Canonical representative (libbpf `map[]`): an id, UNPROCESSED or IN_PROGRESS. */
  MAP = 1,
  /** Hypothetical canonical -> candidate map (libbpf `hypot_map[]`); new ids after compaction. */
  HYP = 2,
  /** The record's info word (kind, vlen, kflag), as int32. */
  INFO = 3,
}

/** Special values of the MAP and HYP fields. */
export const enum Id {
  /** Not processed yet (libbpf `BTF_UNPROCESSED_ID`). */
  UNPROCESSED = -1,
  /** A reference type being processed (libbpf `BTF_IN_PROGRESS_ID`): loop detection. */
  IN_PROGRESS = -2,
}
