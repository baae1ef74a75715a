/**
 * One error class for the whole library, with a machine-readable code.
 *
 * Messages say what is wrong and where, in libbpf's terms: `type [id]` for a
 * type record, `offset N` for a byte offset. The CLI prefixes `btfkit: FILE: `.
 */

/** What kind of failure a {@link BtfError} reports. */
export type BtfErrorCode =
  | "MALFORMED" // the bytes do not form valid BTF/ELF
  | "UNSUPPORTED" // valid, but a feature btfkit (or libbpf) does not handle
  | "INVALID" // structurally parseable, but rejected by validation
  | "NOT_FOUND" // a section, type or file is missing
  | "MISMATCH" // split BTF does not fit its base
  | "ARGUMENT" // bad argument to an API call
  | "IO"; // file system error

/** Where an error points: a type id and/or a byte offset. */
export interface BtfErrorLocation {
  typeId?: number;
  offset?: number;
  /** The section the offset is relative to (e.g. ".BTF" of an ELF file); unset: the file. */
  section?: string;
}

/**
 * The error thrown by every btfkit function.
 *
 * @example
 * ```ts
 * try { parseBtf(new Uint8Array(3)); }
 * catch (e) { if (isBtfError(e)) console.log(e.code, e.message); }
 * ```
 */
export class BtfError extends Error {
  override readonly name = "BtfError";
  readonly code: BtfErrorCode;
  readonly typeId: number | undefined;
  readonly offset: number | undefined;
  readonly section: string | undefined;
  /** The message without the location suffix. */
  readonly detail: string;

  constructor(code: BtfErrorCode, message: string, where: BtfErrorLocation = {}, options?: { cause?: unknown }) {
    const loc: string[] = [];
    if (where.typeId !== undefined) loc.push(`type [${where.typeId}]`);
    if (where.offset !== undefined) loc.push(`offset ${where.offset}${where.section ? ` in ${where.section}` : ""}`);
    super(loc.length ? `${message} (${loc.join(", ")})` : message, options);
    this.code = code;
    this.typeId = where.typeId;
    this.offset = where.offset;
    this.section = where.section;
    this.detail = message;
  }

  /** The same error with its offset taken as relative to `section`. */
  inSection(section: string): BtfError {
    if (this.offset === undefined || this.section !== undefined) return this;
    return new BtfError(this.code, this.detail, { typeId: this.typeId, offset: this.offset, section }, { cause: this.cause });
  }
}

/** True for a {@link BtfError}, also across realms (checks shape, not only `instanceof`). */
export function isBtfError(e: unknown): e is BtfError {
  return e instanceof BtfError || (typeof e === "object" && e !== null && (e as { name?: unknown }).name === "BtfError" && typeof (e as { code?: unknown }).code === "string");
}
