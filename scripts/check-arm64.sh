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
# Needs `apt-get install gcc-aarch64-linux-gnu` (brings libc6-dev-arm64-cross). This compiles;
# it neither links nor runs aarch64 code, and the Swift code is not cross-compiled (that needs
# an aarch64 Swift SDK, which `swift sdk list` does not show on the test machine).
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

status=0
count=0
while IFS= read -r file; do
    count=$((count + 1))
    if ! "$clang" --target=aarch64-linux-gnu -isystem "$sysroot/include" "${includes[@]}" "${flags[@]}" \
            -c -o /dev/null "$file"; then
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
exit $status
