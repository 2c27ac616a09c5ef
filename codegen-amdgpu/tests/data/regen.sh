#!/usr/bin/env bash
# Regenerates encodings.txt from asm.s with LLVM (the oracle; never with our encoder):
# llvm-mc-19 assembles each line of asm.s to its bytes, then llvm-mc-19 -disassemble
# prints those bytes back, and each line of encodings.txt is `DISASSEMBLY ; [BYTES]`.
# The disassembler's text is the one our printer must match (it is what llvm-objdump
# prints; the assembler echoes branch offsets signed where the disassembler does not).
# Usage: regen.sh > encodings.txt
set -euo pipefail
cd "$(dirname "$0")"
MC=${LLVM_MC:-llvm-mc-19}
ARGS=(-triple=amdgcn-amd-amdhsa -mcpu=gfx1100)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
grep -v '^#' asm.s | grep -v '^[[:space:]]*$' \
  | "$MC" "${ARGS[@]}" -show-encoding \
  | sed -n 's/.*; encoding: \(\[.*\]\)$/\1/p' > "$tmp"
sed 's/[][]//g' "$tmp" | "$MC" "${ARGS[@]}" -disassemble \
  | grep -v '^[[:space:]]*\.' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' \
  | paste -d';' - "$tmp" | sed 's/;/ ; /'
