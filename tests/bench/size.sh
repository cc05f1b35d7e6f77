#!/bin/bash
# size.sh: our stripped static musl binaries per feature set (x86_64 and aarch64) beside
# Debian's keepalived with every shared library it loads, and the size goals.
# Builds into target/size/<target>/<features> so the feature sets do not rebuild each other.
set -euo pipefail
cd "$(dirname "$0")/../.."

CARGO=${CARGO:-cargo}
FULL_GOAL=$((1536 * 1024))   # full-featured x86_64: <= 1.5 MiB
SMALL_GOAL=$((800 * 1024))   # --no-default-features x86_64: <= 800 KiB

# build TARGET NAME FLAGS...: prints the binary's size in bytes.
build() {
    local target=$1 name=$2 dir
    shift 2
    dir=target/size/$target/$name
    mkdir -p "$dir"
    "$CARGO" build -q --release --target "$target" --target-dir "$dir" "$@" 2>"$dir/build.log" ||
        { cat "$dir/build.log" >&2; exit 1; }
    stat -c %s "$dir/$target/release/keepalived-rs"
}

kib() { awk -v b="$1" 'BEGIN { printf "%7.0f KiB", b / 1024 }'; }

# keepalived and the shared libraries ldd resolves for it (symlinks followed).
ka_size() {
    local total f
    total=$(stat -Lc %s /usr/sbin/keepalived)
    while read -r f; do
        total=$((total + $(stat -Lc %s "$f")))
    done < <(ldd /usr/sbin/keepalived | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
    echo "$total"
}

declare -A sets=(
    [full]=""
    [lvs-no-tls]="--no-default-features --features lvs"
    [vrrp-only]="--no-default-features"
)
order=(full lvs-no-tls vrrp-only)

echo "Binary sizes (stripped, static musl; release profile: opt-level s, LTO, 1 codegen unit, panic=abort)"
printf '  %-12s %-14s %-14s %s\n' "features" "x86_64" "aarch64" "goal (x86_64)"
for name in "${order[@]}"; do
    # shellcheck disable=SC2086  # the flags are words
    x86=$(build x86_64-unknown-linux-musl "$name" ${sets[$name]})
    # shellcheck disable=SC2086
    arm=$(build aarch64-unknown-linux-musl "$name" ${sets[$name]})
    goal=""
    case $name in
        full) goal="<= 1536 KiB: $([ "$x86" -le "$FULL_GOAL" ] && echo met || echo missed)" ;;
        vrrp-only) goal="<= 800 KiB: $([ "$x86" -le "$SMALL_GOAL" ] && echo met || echo missed)" ;;
    esac
    printf '  %-12s %s    %s    %s\n' "$name" "$(kib "$x86")" "$(kib "$arm")" "$goal"
done
if [ -x /usr/sbin/keepalived ]; then
    printf '  %-12s %s    (keepalived %s and the shared libraries it loads)\n' "keepalived" \
        "$(kib "$(ka_size)")" "$(/usr/sbin/keepalived -v 2>&1 | head -1 | awk '{ print $2 }')"
fi
