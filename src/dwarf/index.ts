/**
 * DWARF reader (versions 2-5, 32- and 64-bit DWARF): units, a cursor over DIEs with
 * lazily decoded attributes, strings and address/string index tables, location and
 * range lists, expressions, and pahole's parameter-register test.
 *
 * @example
 * ```ts
 * import { ElfFile } from "btfkit/elf";
 * import { dwarfFromElf, DW_TAG, DW_AT } from "btfkit/dwarf";
 * const dwarf = dwarfFromElf(new ElfFile(bytes));
 * for (const cu of dwarf.units()) {
 *   const die = cu.cursor();
 *   while (die.next()) {
 *     if (die.tag === DW_TAG.structure_type) console.log(die.name, die.unsigned(DW_AT.byte_size));
 *   }
 * }
 * ```
 * @module
 */
export * from "./constants.js";
export { type UnitEncoding, type FormClass, formClass, formSize } from "./forms.js";
export { type Abbrev, AbbrevTable, parseAbbrevTable } from "./abbrev.js";
export { DwarfFile, DwarfUnit, type DwarfSource, type DwarfSectionName } from "./dwarf.js";
export { DieCursor, type AttrValue } from "./die.js";
export { type LocationEntry, type LocationSink, type RangeEntry, readLocationList, readRangeList, listIndexOffset, walkLocationList } from "./lists.js";
export * from "./expr.js";
export { dwarfFromElf, type DwarfFromElfOptions } from "./elf-dwarf.js";
export * from "./tree.js";
