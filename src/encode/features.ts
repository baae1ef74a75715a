/**
 * `--btf_features` as pahole 1.30 reads it (pahole.c `btf_features[]`,
 * `parse_btf_features`).
 *
 * A feature list starts from every feature *off*; `default` turns on the standard
 * set, `+a,b` is the standard set plus `a` and `b`, and names pahole does not know are
 * ignored. Features that need a libbpf newer than pahole 1.30's oracle (libbpf 1.5)
 * cannot be turned on: `attributes` (`btf__add_type_attr`, libbpf 1.6) stays off,
 * as it does in the oracle.
 * @module
 */

/** What the encoder does, one switch per pahole feature. */
export interface EncodeFeatures {
  /** `encode_force`: skip variables with invalid names or void type instead of failing. */
  encodeForce: boolean;
  /** `var`: per-CPU variables (VAR + `.data..percpu` DATASEC). */
  var: boolean;
  /** `float`: floating-point base types as FLOAT (else INT with no encoding). */
  float: boolean;
  /** `decl_tag`: `btf_decl_tag` annotations as DECL_TAG. */
  declTag: boolean;
  /** `type_tag`: `btf_type_tag` annotations on pointers as TYPE_TAG. */
  typeTag: boolean;
  /** `enum64`: enums wider than 4 bytes as ENUM64 (else ENUM with truncated values). */
  enum64: boolean;
  /** `optimized_func`: match DWARF functions to `name.isra.0`-style ELF symbols. */
  optimizedFunc: boolean;
  /** `consistent_func`: leave out functions with inconsistent prototypes or unexpected registers. */
  consistentFunc: boolean;
  /** `decl_tag_kfuncs`: DECL_TAG `bpf_kfunc` (and `bpf_fastcall`) on kfuncs listed in `.BTF_ids`. */
  declTagKfuncs: boolean;
  /** `global_var`: variables of every section, not only `.data..percpu`. */
  globalVar: boolean;
  /** `reproducible_build`: accepted, no effect (pahole 1.30's output is always reproducible). */
  reproducibleBuild: boolean;
}

interface FeatureDef {
  name: string;
  key: keyof EncodeFeatures;
  standard: boolean;
  /** False when pahole 1.30 with libbpf 1.5 cannot enable it. */
  available: boolean;
}

const FEATURES: readonly FeatureDef[] = [
  { name: "encode_force", key: "encodeForce", standard: true, available: true },
  { name: "var", key: "var", standard: true, available: true },
  { name: "float", key: "float", standard: true, available: true },
  { name: "decl_tag", key: "declTag", standard: true, available: true },
  { name: "type_tag", key: "typeTag", standard: true, available: true },
  { name: "enum64", key: "enum64", standard: true, available: true },
  { name: "optimized_func", key: "optimizedFunc", standard: true, available: true },
  { name: "consistent_func", key: "consistentFunc", standard: true, available: true },
  { name: "decl_tag_kfuncs", key: "declTagKfuncs", standard: true, available: true },
  { name: "reproducible_build", key: "reproducibleBuild", standard: false, available: true },
  { name: "global_var", key: "globalVar", standard: false, available: true },
];

/** Feature names pahole 1.30 knows but btfkit (like pahole with libbpf 1.5) cannot enable. */
const UNAVAILABLE = new Set(["distilled_base", "attributes"]);

function allOff(): EncodeFeatures {
  return {
    encodeForce: false, var: false, float: false, declTag: false, typeTag: false, enum64: false,
    optimizedFunc: false, consistentFunc: false, declTagKfuncs: false, globalVar: false, reproducibleBuild: false,
  };
}

/** pahole's `--btf_features=default` set. */
export function defaultFeatures(): EncodeFeatures {
  const f = allOff();
  for (const d of FEATURES) if (d.standard) f[d.key] = true;
  return f;
}

/** The names of the features pahole 1.30 lists as supported (`--supported_btf_features`). */
export const FEATURE_NAMES: readonly string[] = FEATURES.map((d) => d.name);

/**
 * Parse a `--btf_features` value: `default`, `+name,...` (default plus these) or
 * `name,...` (only these). Unknown names are ignored, as pahole does without
 * `--btf_features_strict`; they are returned in `unknown` so a caller may warn.
 *
 * @example
 * ```ts
 * parseFeatures("default").features.float;          // true
 * parseFeatures("+global_var").features.globalVar;  // true
 * parseFeatures("var,float").features.enum64;       // false
 * ```
 */
export function parseFeatures(list: string): { features: EncodeFeatures; unknown: string[] } {
  const f = allOff();
  const unknown: string[] = [];
  const enableDefault = () => {
    for (const d of FEATURES) if (d.standard) f[d.key] = true;
  };
  if (list === "default") return { features: defaultFeatures(), unknown };
  let rest = list;
  if (rest.startsWith("+")) {
    enableDefault();
    rest = rest.slice(1);
  }
  for (const name of rest.split(",")) {
    if (name === "") continue;
    if (name === "default") {
      enableDefault();
      continue;
    }
    const d = FEATURES.find((x) => x.name === name);
    if (d) f[d.key] = true;
    else if (!UNAVAILABLE.has(name)) unknown.push(name);
  }
  return { features: f, unknown };
}
