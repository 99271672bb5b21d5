#!/usr/bin/env bash
# Compiles every C file of the package for aarch64-linux-gnu with -Wall -Wextra -Werror: the
# kernels' portable path (DNB_CLONES is empty off x86-64, see Sources/CKernels/dnb_clones.h).
#
# 1. Every .c under Sources/ with clang --target=aarch64-linux-gnu — clang is what SwiftPM
#    compiles the C targets with, and the kernels use its loop pragmas and vector builtins — and
#    the aarch64 C library headers of Debian's cross toolchain.
# 2. DNB_CLONES alone with aarch64-linux-gnu-gcc: clang ignores x86 feature names in
#    target_clones on aarch64 without a word, GCC rejects them, so only GCC sees an unguarded macro.
#
# 3. When qemu-aarch64 is installed (`apt-get install qemu-user`): scripts/check-arm64-kernels.c
#    runs every kernel on fixed inputs, built for x86-64 and (statically) for aarch64, and the two
#    outputs must agree within 1e-5 × (1 + |value|). The same float32 operations on both, but the
#    x86-64 clones and NEON may contract or order a sum differently; measured: identical output.
#
# Needs `apt-get install gcc-aarch64-linux-gnu` (brings libc6-dev-arm64-cross). The Swift code is
# not cross-compiled: that needs an aarch64 Swift SDK (`swift sdk list` shows none on the test
# machine, and swiftc -target aarch64-unknown-linux-gnu finds no aarch64 Swift module).
#
# Exit status: 0 all compiled, 1 something failed, 77 clang or the cross toolchain is missing.
set -uo pipefail
cd "$(dirname "$0")/.."

sysroot=/usr/aarch64-linux-gnu
clang=${CLANG:-$(command -v clang || true)}
gcc=${AARCH64_GCC:-$(command -v aarch64-linux-gnu-gcc || true)}
if [[ -z "$clang" || -z "$gcc" || ! -f "$sysroot/include/stdint.h" ]]; then
    echo "check-arm64: needs clang (from the Swift toolchain) and gcc-aarch64-linux-gnu" \
         "(apt-get install gcc-aarch64-linux-gnu); skipped" >&2
    exit 77
fi
[[ "${1:-}" == "--available" ]] && exit 0

flags=(-std=gnu11 -O2 -Wall -Wextra -Werror)
includes=()
for dir in Sources/*/include; do includes+=(-I "$dir"); done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
aarch64() { "$clang" --target=aarch64-linux-gnu -isystem "$sysroot/include" "${includes[@]}" "${flags[@]}" "$@"; }

status=0
count=0
objects=()
while IFS= read -r file; do
    count=$((count + 1))
    # The kernels run under qemu below; COpenBLASCore calls into OpenBLAS, so it is compiled only.
    [[ "$file" == Sources/COpenBLASCore/* ]] || objects+=("$work/$count.o")
    if ! aarch64 -c -o "$work/$count.o" "$file"; then
        echo "check-arm64: FAILED (clang, aarch64) $file" >&2
        status=1
    fi
done < <(find Sources -name '*.c' | sort)
if [[ $count -eq 0 ]]; then
    echo "check-arm64: no C files under Sources/" >&2
    exit 1
fi

if ! printf '#include "dnb_clones.h"\nDNB_CLONES float dnb_probe(float x);\nDNB_CLONES float dnb_probe(float x) { return 2 * x; }\n' |
        "$gcc" -I Sources/CKernels "${flags[@]}" -x c -c -o /dev/null -; then
    echo "check-arm64: FAILED (gcc, aarch64) DNB_CLONES of Sources/CKernels/dnb_clones.h" >&2
    status=1
fi

[[ $status -eq 0 ]] && echo "check-arm64: $count C files compile for aarch64-linux-gnu (clang), DNB_CLONES too (gcc), with ${flags[*]}"

qemu=$(command -v qemu-aarch64 || true)
if [[ $status -eq 0 && -z "$qemu" ]]; then
    echo "check-arm64: kernels not run on aarch64 (no qemu-aarch64: apt-get install qemu-user)"
elif [[ $status -eq 0 ]]; then
    aarch64 -c -o "$work/driver.o" scripts/check-arm64-kernels.c || status=1
    if [[ $status -eq 0 ]] &&
       "$gcc" -static -o "$work/kernels-aarch64" "$work/driver.o" "${objects[@]}" -lm &&
       "$clang" "${includes[@]}" "${flags[@]}" -o "$work/kernels-x86_64" scripts/check-arm64-kernels.c \
           $(find Sources -name '*.c' -not -path 'Sources/COpenBLASCore/*' | sort) -lm &&
       "$qemu" "$work/kernels-aarch64" > "$work/aarch64.txt" &&
       "$work/kernels-x86_64" > "$work/x86_64.txt"; then
        if paste -d ' ' "$work/x86_64.txt" "$work/aarch64.txt" | awk '
            $1 != $4 || $2 != $5 { print "check-arm64: outputs out of step at line " NR; bad = 1; exit }
            { d = $3 - $6; d = d < 0 ? -d : d; m = $3 < 0 ? -$3 : $3
              if (!(d <= 1e-5 * (1 + m))) { print "check-arm64: " $1 "[" $2 "] x86-64 " $3 ", aarch64 " $6; bad = 1 }
              if (d > worst) worst = d }
            END { if (NR == 0) { print "check-arm64: no kernel output"; bad = 1 }
                  if (!bad) printf "check-arm64: %d kernel outputs agree on aarch64 (qemu) and x86-64, largest difference %g\n", NR, worst
                  exit bad }'; then :; else status=1; fi
    else
        echo "check-arm64: FAILED to build or run scripts/check-arm64-kernels.c" >&2
        status=1
    fi
fi
exit $status
