#!/bin/sh
# Checks that a built libcdq_engine.so exports exactly the functions that
# include/cdq_engine.h declares (static inline helpers excepted), each under
# the version node of the soname, and that its soname is versioned.
# Usage: scripts/check-c-exports.sh LIBRARY [HEADER]
set -eu
library=$1
header=${2:-include/cdq_engine.h}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The header's functions: declarations at the start of a line, not static inline.
grep -E '^[a-z_][a-z0-9_ ]*[ *]cdq_[a-z0-9_]+\(' "$header" | grep -v '^static' |
    sed -E 's/^.*[ *](cdq_[a-z0-9_]+)\(.*$/\1/' | sort -u > "$work/header"

# The library's exported symbols: defined, GLOBAL or WEAK, in the dynamic
# symbol table (LOCAL entries there are not visible to other objects).
readelf --dyn-syms -W "$library" |
    awk '($5 == "GLOBAL" || $5 == "WEAK") && $7 != "UND" && $7 != "ABS" { print $8 }' | sort -u > "$work/exported"

status=0
sed 's/@@CDQ_ENGINE_0$//' "$work/exported" | sort -u > "$work/names"
if ! diff -u "$work/header" "$work/names" > "$work/diff"; then
    echo "check-c-exports: $library does not export exactly the functions of $header (- header only, + library only):" >&2
    cat "$work/diff" >&2
    status=1
fi
if grep -v '@@CDQ_ENGINE_0$' "$work/exported" > "$work/unversioned"; then
    echo "check-c-exports: exported without the CDQ_ENGINE_0 version:" >&2
    cat "$work/unversioned" >&2
    status=1
fi
soname=$(readelf -d "$library" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if [ "$soname" != "libcdq_engine.so.0" ]; then
    echo "check-c-exports: soname is '$soname', expected libcdq_engine.so.0" >&2
    status=1
fi
[ $status -eq 0 ] && echo "check-c-exports: $(wc -l < "$work/names") functions, exactly the header's, soname $soname"
exit $status
