/**
 * Attribute forms: how many bytes each takes (for skipping) and what class of value
 * it holds (DWARF 5 section 7.5.5).
 * @module
 */
import { DW_FORM } from "./constants.js";

/** The sizes a unit's header fixes: they decide the size of several forms. */
export interface UnitEncoding {
  /** 4 or 8 (DWARF 2-4 may also use 2; any size is read). */
  addressSize: number;
  /** 4 (32-bit DWARF) or 8 (64-bit DWARF). */
  offsetSize: 4 | 8;
  /** Unit version: 2-5. `DW_FORM_ref_addr` is address-sized in version 2. */
  version: number;
}

// Skip-program opcodes for variable-size forms (negative; positive = skip n bytes).
export const SK_LEB = -1;
export const SK_CSTR = -2;
export const SK_BLOCK1 = -3;
export const SK_BLOCK2 = -4;
export const SK_BLOCK4 = -5;
export const SK_BLOCK = -6; // ULEB length + bytes (block, exprloc)
export const SK_INDIRECT = -7;
export const SK_BAD = -8; // unknown form: cannot be skipped

/**
 * The size of an attribute value of `form`: a byte count (0 for
 * `flag_present`/`implicit_const`), or a negative `SK_*` code for variable sizes.
 */
export function formSize(form: number, enc: UnitEncoding): number {
  switch (form) {
    case DW_FORM.addr:
      return enc.addressSize;
    case DW_FORM.data1:
    case DW_FORM.ref1:
    case DW_FORM.flag:
    case DW_FORM.strx1:
    case DW_FORM.addrx1:
      return 1;
    case DW_FORM.data2:
    case DW_FORM.ref2:
    case DW_FORM.strx2:
    case DW_FORM.addrx2:
      return 2;
    case DW_FORM.strx3:
    case DW_FORM.addrx3:
      return 3;
    case DW_FORM.data4:
    case DW_FORM.ref4:
    case DW_FORM.ref_sup4:
    case DW_FORM.strx4:
    case DW_FORM.addrx4:
      return 4;
    case DW_FORM.data8:
    case DW_FORM.ref8:
    case DW_FORM.ref_sig8:
    case DW_FORM.ref_sup8:
      return 8;
    case DW_FORM.data16:
      return 16;
    case DW_FORM.strp:
    case DW_FORM.line_strp:
    case DW_FORM.sec_offset:
    case DW_FORM.strp_sup:
    case DW_FORM.GNU_ref_alt:
    case DW_FORM.GNU_strp_alt:
      return enc.offsetSize;
    case DW_FORM.ref_addr:
      return enc.version <= 2 ? enc.addressSize : enc.offsetSize;
    case DW_FORM.flag_present:
    case DW_FORM.implicit_const:
      return 0;
    case DW_FORM.sdata:
    case DW_FORM.udata:
    case DW_FORM.ref_udata:
    case DW_FORM.strx:
    case DW_FORM.addrx:
    case DW_FORM.loclistx:
    case DW_FORM.rnglistx:
    case DW_FORM.GNU_addr_index:
    case DW_FORM.GNU_str_index:
      return SK_LEB;
    case DW_FORM.string:
      return SK_CSTR;
    case DW_FORM.block1:
      return SK_BLOCK1;
    case DW_FORM.block2:
      return SK_BLOCK2;
    case DW_FORM.block4:
      return SK_BLOCK4;
    case DW_FORM.block:
    case DW_FORM.exprloc:
      return SK_BLOCK;
    case DW_FORM.indirect:
      return SK_INDIRECT;
    default:
      return SK_BAD;
  }
}

/** What an attribute value means, by form (DWARF 5 table 7.6, plus GNU forms). */
export type FormClass =
  | "address" // addr, addrx*, GNU_addr_index
  | "block" // block*, (exprloc is its own class)
  | "exprloc"
  | "constant" // data*, sdata, udata, implicit_const
  | "flag"
  | "string" // string, strp, line_strp, strx*, strp_sup, GNU_str_index, GNU_strp_alt
  | "reference" // ref*, ref_addr, ref_sig8, ref_sup*, GNU_ref_alt
  | "sec_offset" // sec_offset (lineptr, loclistsptr, rnglistsptr, ...)
  | "loclist" // loclistx
  | "rnglist" // rnglistx
  | "indirect"
  | "unknown";

/** The class of `form`. */
export function formClass(form: number): FormClass {
  switch (form) {
    case DW_FORM.addr:
    case DW_FORM.addrx:
    case DW_FORM.addrx1:
    case DW_FORM.addrx2:
    case DW_FORM.addrx3:
    case DW_FORM.addrx4:
    case DW_FORM.GNU_addr_index:
      return "address";
    case DW_FORM.block:
    case DW_FORM.block1:
    case DW_FORM.block2:
    case DW_FORM.block4:
      return "block";
    case DW_FORM.exprloc:
      return "exprloc";
    case DW_FORM.data1:
    case DW_FORM.data2:
    case DW_FORM.data4:
    case DW_FORM.data8:
    case DW_FORM.data16:
    case DW_FORM.sdata:
    case DW_FORM.udata:
    case DW_FORM.implicit_const:
      return "constant";
    case DW_FORM.flag:
    case DW_FORM.flag_present:
      return "flag";
    case DW_FORM.string:
    case DW_FORM.strp:
    case DW_FORM.line_strp:
    case DW_FORM.strx:
    case DW_FORM.strx1:
    case DW_FORM.strx2:
    case DW_FORM.strx3:
    case DW_FORM.strx4:
    case DW_FORM.strp_sup:
    case DW_FORM.GNU_str_index:
    case DW_FORM.GNU_strp_alt:
      return "string";
    case DW_FORM.ref1:
    case DW_FORM.ref2:
    case DW_FORM.ref4:
    case DW_FORM.ref8:
    case DW_FORM.ref_udata:
    case DW_FORM.ref_addr:
    case DW_FORM.ref_sig8:
    case DW_FORM.ref_sup4:
    case DW_FORM.ref_sup8:
    case DW_FORM.GNU_ref_alt:
      return "reference";
    case DW_FORM.sec_offset:
      return "sec_offset";
    case DW_FORM.loclistx:
      return "loclist";
    case DW_FORM.rnglistx:
      return "rnglist";
    case DW_FORM.indirect:
      return "indirect";
    default:
      return "unknown";
  }
}
